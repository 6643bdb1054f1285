export { formatBytes, formatNvmeCapacity } from './format.js';
export { SizeParseError, parseSize, parseSizeV08 } from './parse.js';
