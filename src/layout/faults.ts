import { defineFault } from '../fault/fault.js';
import { CodeBlock, Domain } from '../fault/codes.js';

const c = CodeBlock.storage;

export const layoutFaults = {
  superblockRead: defineFault(
    Domain.storage,
    c + 20,
    'StorageSuperblockRead',
    (file: string, reason: string) => `Failed to read Superblock from ${file}: ${reason}`,
    () => 'reformat the storage with dmg storage format --reformat (this erases the instance), or restore the file',
    ['/mnt/daos/superblock', 'ENOENT'],
  ),
  superblockWrite: defineFault(
    Domain.storage,
    c + 21,
    'StorageSuperblockWrite',
    (file: string, reason: string) => `Failed to write Superblock to ${file}: ${reason}`,
    () => 'check that the SCM mount is mounted, writable and not full',
    ['/mnt/daos/superblock', 'ENOSPC'],
  ),
};
