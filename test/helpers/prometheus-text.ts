/**
 * A strict reader of the Prometheus text exposition format 0.0.4, written apart from prom-client so that a test
 * checks what a Prometheus server would accept: every line but an empty one is a `# HELP`, a `# TYPE` or a sample
 * `name{label="value",…} value`; a family has at most one HELP and one TYPE, given before its samples; a sample
 * belongs to the family its TYPE allows (`_bucket`, `_sum`, `_count` of a histogram); a histogram's buckets rise and
 * end with `le="+Inf"` equal to its `_count`.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parsePrometheusText(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const familiesWithSamples = new Set<string>();
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, index) => {
      const where = `line ${index + 1}: ${line}`;
      if (line === '') return; // the format ignores empty lines (prom-client puts one between families)
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (meta) {
        const [, kind, name, rest] = meta as unknown as [string, 'HELP' | 'TYPE', string, string];
        if (!NAME.test(name)) throw new Error(`bad metric name, ${where}`);
        if (familiesWithSamples.has(name)) throw new Error(`${kind} after the samples of its family, ${where}`);
        if (kind === 'HELP') {
          if (helps.has(name)) throw new Error(`second HELP, ${where}`);
          helps.add(name);
        } else {
          if (types.has(name)) throw new Error(`second TYPE, ${where}`);
          if (!TYPES.has(rest)) throw new Error(`unknown type, ${where}`);
          types.set(name, rest);
        }
        return;
      }
      if (line.startsWith('#')) throw new Error(`neither HELP, TYPE nor a sample, ${where}`);
      const sample = parseSample(line, where);
      const family = familyOf(sample.name, types);
      if (!family) throw new Error(`a sample without a TYPE of its family, ${where}`);
      familiesWithSamples.add(family);
      samples.push(sample);
    });
  checkHistograms(types, samples);
  return {
    types,
    samples,
    value(name, labels = {}) {
      const matches = samples.filter(
        (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
      );
      if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
      return matches[0]?.value;
    },
  };
}

function parseSample(line: string, where: string): Sample {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line);
  if (!head) throw new Error(`not a sample, ${where}`);
  const [, name, labelText, valueText] = head as unknown as [string, string, string | undefined, string];
  const value = parseValue(valueText);
  if (value === undefined) throw new Error(`bad value, ${where}`);
  return { name, labels: labelText ? parseLabels(labelText.slice(1, -1), where) : {}, value };
}

/** As Prometheus reads a value (Go's `strconv.ParseFloat`): special values in any case (prom-client writes `Nan`). */
function parseValue(text: string): number | undefined {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  return /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : undefined;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pair = /([^=,]+)="((?:[^"\\]|\\["\\n])*)"(,|$)/y;
  while (pair.lastIndex < text.length) {
    const match = pair.exec(text);
    if (!match) throw new Error(`bad labels, ${where}`);
    const [, name, raw] = match as unknown as [string, string, string];
    if (!LABEL_NAME.test(name) || name in labels) throw new Error(`bad or repeated label ${name}, ${where}`);
    labels[name] = raw.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function familyOf(sampleName: string, types: Map<string, string>): string | undefined {
  for (const [family, type] of types) {
    if (SUFFIXES[type]!.some((suffix) => sampleName === family + suffix)) return family;
  }
  return undefined;
}

function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const sample of samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le, ...rest } = sample.labels;
      if (le === undefined) throw new Error(`${family}_bucket without le`);
      const key = labelKey(rest);
      series.set(key, [...(series.get(key) ?? []), sample]);
    }
    for (const [key, buckets] of series) {
      const counts = buckets.map((b) => b.value);
      if (counts.some((c, i) => i > 0 && c < counts[i - 1]!)) throw new Error(`${family}${key}: buckets fall`);
      const last = buckets[buckets.length - 1]!;
      const count = samples.find((s) => s.name === `${family}_count` && labelKey(s.labels) === key);
      if (last.labels.le !== '+Inf' || count?.value !== last.value)
        throw new Error(`${family}${key}: the +Inf bucket must end the buckets and equal _count`);
    }
  }
}

function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}
