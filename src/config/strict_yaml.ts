/**
 * Strict YAML loading shared by the server and client configs: parse with
 * `yaml` (keeping a LineCounter so every problem names its line), refuse
 * duplicate keys, check the result against a zod schema, and turn every
 * schema issue into a config fault naming the key path and the line.
 *
 * NB: v0.8 parsed leniently (unknown keys ignored, the last duplicate won);
 * we refuse both on purpose: a misspelt key silently ignored is how a server
 * ends up formatting the wrong device.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import type { Fault } from '../fault/fault.js';
import {
  configBadChoice,
  configBadType,
  configDuplicateKey,
  configMissingKey,
  configSyntax,
  configUnknownKey,
  throwProblems,
} from './faults.js';

export type KeyPath = (string | number)[];

/** Parse problems with their lines, reported in line order. */
export class ProblemList {
  private items: { line: number; fault: Fault }[] = [];
  add(line: number, fault: Fault): void {
    this.items.push({ line, fault });
  }
  get length(): number {
    return this.items.length;
  }
  /** The faults, sorted by line (stable, so problems on one line keep their order). */
  faults(): Fault[] {
    return [...this.items].sort((a, b) => a.line - b.line).map((x) => x.fault);
  }
}

/** `servers[1].scm_mount` */
export function formatPath(p: readonly PropertyKey[]): string {
  let s = '';
  for (const seg of p) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s === '' ? String(seg) : `.${String(seg)}`;
  }
  return s === '' ? '(top level)' : s;
}

/** A parsed YAML document that can say on which line a key path sits. */
export class LocatedDoc {
  constructor(
    readonly file: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** 1-based line of a character offset (0 when unknown). */
  lineOf(offset: number | undefined): number {
    return offset === undefined ? 0 : this.lines.linePos(offset).line;
  }

  private resolve(n: unknown): unknown {
    return isAlias(n) ? n.resolve(this.doc) : n;
  }

  /**
   * Line of the key at `p` (which: 'key'), of its value ('value'), or of the
   * deepest existing ancestor when `p` does not exist (a missing key is
   * reported on the line of the mapping that lacks it).
   */
  line(p: readonly PropertyKey[], which: 'key' | 'value' = 'value'): number {
    let node: unknown = this.resolve(this.doc.contents);
    let line = this.lineOf((node as Node | null)?.range?.[0]);
    for (let k = 0; k < p.length; k++) {
      const seg = p[k];
      const last = k === p.length - 1;
      if (isMap(node)) {
        const pair = [...node.items].reverse().find((it) => isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair) return line;
        const keyLine = this.lineOf((pair.key as Node).range?.[0]);
        const value = this.resolve(pair.value) as Node | null;
        if (last) return which === 'key' || !value ? keyLine : this.lineOf(value.range?.[0]) || keyLine;
        node = value;
        line = value ? this.lineOf(value.range?.[0]) || keyLine : keyLine;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = this.resolve(node.items[seg]) as Node | null | undefined;
        if (!item) return line;
        node = item;
        line = this.lineOf(item.range?.[0]) || line;
      } else {
        return line;
      }
    }
    return line;
  }
}

/**
 * Parse YAML text. Syntax errors are thrown as faults (all of them, with
 * lines); duplicate keys are added to `problems`. Returns the document and its
 * plain value (`{}` for an empty file; the last duplicate wins).
 */
export function parseYaml(text: string, file: string, problems: ProblemList): { located: LocatedDoc; value: unknown } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: true });
  const located = new LocatedDoc(file, doc, lines);
  // One error per line: the parser often reports a single mistake several ways.
  const seenLines = new Set<number>();
  const syntax: Fault[] = [];
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    const line = pos?.line ?? 0;
    if (seenLines.has(line)) continue;
    seenLines.add(line);
    const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    syntax.push(configSyntax(file, line, pos?.col ?? 0, msg.charAt(0).toLowerCase() + msg.slice(1)));
  }
  throwProblems(file, syntax);
  findDuplicates(located, doc.contents, [], problems);
  const value = doc.toJS() as unknown;
  return { located, value: value ?? {} };
}

function findDuplicates(located: LocatedDoc, node: unknown, p: KeyPath, out: ProblemList): void {
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const kp = [...p, key];
      if (seen.has(key)) {
        const line = located.lineOf((pair.key as Node | null)?.range?.[0]);
        out.add(line, configDuplicateKey(located.file, line, formatPath(kp)));
      }
      seen.add(key);
      findDuplicates(located, pair.value, kp, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => findDuplicates(located, item, [...p, i], out));
  }
}

/** The value at a key path of a plain object, or undefined. */
export function valueAt(root: unknown, p: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** How a YAML value reads in a message. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the number ${v}` : `the number ${v} (not an integer)`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function expectedText(expected: string): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'int':
    case 'number':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list (one "- " line per entry, or [a, b])';
    case 'object':
      return 'a mapping of keys';
    default:
      return expected;
  }
}

/** Closest known key to a misspelt one, or '' when nothing is close. */
export function suggestKey(key: string, known: readonly string[]): string {
  let best = '';
  let bestScore = Infinity;
  for (const k of known) {
    let score = editDistance(key.toLowerCase(), k);
    if (key.startsWith(k) || k.startsWith(key)) score = Math.min(score, 1);
    if (score < bestScore) {
      best = k;
      bestScore = score;
    }
  }
  return bestScore <= Math.max(2, Math.floor(key.length / 4)) ? best : '';
}

function editDistance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/**
 * Check `value` against `schema`; turn every issue into a fault with the key
 * path and line. `knownKeys(path)` gives the keys allowed at a mapping, for
 * "did you mean" suggestions.
 */
export function checkSchema<S extends z.ZodType>(
  located: LocatedDoc,
  value: unknown,
  schema: S,
  knownKeys: (p: readonly PropertyKey[]) => readonly string[],
  out: ProblemList,
): z.infer<S> | undefined {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const file = located.file;
  for (const issue of r.error.issues) {
    const p = issue.path;
    const line = located.line(p);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const k of issue.keys) {
          const kp = [...p, k];
          const line = located.line(kp, 'key');
          out.add(line, configUnknownKey(file, line, formatPath(kp), suggestKey(k, knownKeys(p))));
        }
        break;
      case 'invalid_type': {
        const got = valueAt(value, p);
        if (got === undefined) out.add(line, configMissingKey(file, line, formatPath(p)));
        else out.add(line, configBadType(file, line, formatPath(p), expectedText(issue.expected), describeValue(got)));
        break;
      }
      case 'invalid_value':
        if (valueAt(value, p) == null) {
          out.add(line, configMissingKey(file, line, formatPath(p)));
          break;
        }
        out.add(
          line,
          configBadChoice(file, line, formatPath(p), String(valueAt(value, p)), issue.values.map((v) => String(v))),
        );
        break;
      case 'too_small':
        out.add(
          line,
          configBadType(file, line, formatPath(p), `an integer of ${String(issue.minimum)} or more`, describeValue(valueAt(value, p))),
        );
        break;
      default:
        out.add(line, configBadType(file, line, formatPath(p), 'a valid value', describeValue(valueAt(value, p))));
    }
  }
  return undefined;
}
