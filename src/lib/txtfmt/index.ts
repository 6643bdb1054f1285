export { MISSING_CELL, formatEntity, formatTable, indent, type TableRow } from './table.js';
