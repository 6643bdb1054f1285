/**
 * Faults: user-facing errors that carry a domain, a stable numeric code, a
 * description and a resolution naming what to do about it.
 *
 * NB: codes are allocated in blocks per domain (see codes.ts) and never
 * renumbered; a fault survives the wire as JSON (see toWire/fromWire), so a
 * fault raised on a server reaches dmg as the same fault.
 */

export interface FaultInit {
  domain: string;
  code: number;
  description: string;
  resolution: string;
  cause?: unknown;
}

export class Fault extends Error {
  readonly domain: string;
  readonly code: number;
  readonly description: string;
  readonly resolution: string;

  constructor(init: FaultInit) {
    super(init.description, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'Fault';
    this.domain = init.domain;
    this.code = init.code;
    this.description = init.description;
    this.resolution = init.resolution;
  }

  /** The original's rendering: `<domain>: code = <n> description = "<desc>"`. */
  override toString(): string {
    return `${this.domain}: code = ${this.code} description = ${JSON.stringify(this.description)}`;
  }

  /** The original's rendering of the resolution. */
  resolutionString(): string {
    return `${this.domain}: code = ${this.code} resolution = ${JSON.stringify(this.resolution)}`;
  }

  toJSON(): { domain: string; code: number; description: string; resolution: string } {
    return { domain: this.domain, code: this.code, description: this.description, resolution: this.resolution };
  }

  /** Wire form, used in gRPC metadata and dRPC error strings. */
  toWire(): string {
    return JSON.stringify(this.toJSON());
  }

  static fromWire(s: string): Fault | undefined {
    try {
      const o = JSON.parse(s) as Partial<FaultInit>;
      if (typeof o.domain === 'string' && typeof o.code === 'number' && typeof o.description === 'string') {
        return new Fault({ domain: o.domain, code: o.code, description: o.description, resolution: o.resolution ?? '' });
      }
    } catch {
      // not a fault
    }
    return undefined;
  }
}

export function isFault(e: unknown): e is Fault {
  return e instanceof Fault;
}

/** The message of any thrown value, including the causes of plain errors. */
export function errorMessage(e: unknown): string {
  if (e instanceof Fault) return e.description;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** A fault factory, registered so that tests can check every fault has a resolution. */
export interface FaultDef<A extends unknown[]> {
  readonly domain: string;
  readonly code: number;
  readonly name: string;
  readonly sample: A;
  (...args: A): Fault;
}

const registry: FaultDef<any>[] = [];

/** Every fault defined so far (for tests). */
export function registeredFaults(): readonly FaultDef<any>[] {
  return registry;
}

/**
 * Define a fault. `sample` is one set of arguments used by the test that
 * checks every fault renders a non-empty description and resolution.
 */
export function defineFault<A extends unknown[]>(
  domain: string,
  code: number,
  name: string,
  description: (...args: A) => string,
  resolution: (...args: A) => string,
  sample: A,
): FaultDef<A> {
  const f = ((...args: A) => new Fault({ domain, code, description: description(...args), resolution: resolution(...args) })) as FaultDef<A>;
  Object.defineProperties(f, {
    domain: { value: domain },
    code: { value: code },
    name: { value: name },
    sample: { value: sample },
  });
  registry.push(f);
  return f;
}

/** Wrap any error as a fault of the given domain, keeping the cause. */
export function asFault(e: unknown, domain = 'unknown', resolution = 'no known resolution'): Fault {
  if (e instanceof Fault) return e;
  return new Fault({ domain, code: 0, description: errorMessage(e), resolution, cause: e });
}
