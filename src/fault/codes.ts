/**
 * Fault code blocks per domain. Codes are stable: never renumber one, only add.
 * The values the original DAOS v0.8 used are kept (Unknown 0,
 * MissingSoftwareDependency 1, StorageUnknown 102, ...).
 */
export const Domain = {
  unknown: 'unknown',
  general: 'general',
  storage: 'storage',
  scm: 'scm',
  bdev: 'bdev',
  config: 'config',
  system: 'system',
  server: 'server',
  client: 'client',
  drpc: 'drpc',
  security: 'security',
  network: 'network',
} as const;

export const CodeBlock = {
  general: 0, //      0 - 99
  storage: 100, //  100 - 199
  scm: 200, //      200 - 299
  bdev: 300, //     300 - 399
  config: 400, //   400 - 499
  system: 500, //   500 - 599
  server: 600, //   600 - 699
  client: 700, //   700 - 799
  drpc: 800, //     800 - 899
  security: 900, // 900 - 999
  network: 1000, // 1000 - 1099
} as const;
