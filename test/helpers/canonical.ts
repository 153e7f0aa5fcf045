/**
 * A canonical text of a value for deep comparison: own keys sorted, arrays and plain objects marked,
 * any other prototype named. (`toStrictEqual` cannot compare objects that own a "constructor" key,
 * which hostile input may contain.)
 */
export function canonical(value: unknown): string {
  const walk = (x: unknown): unknown => {
    if (x === null || typeof x !== 'object') return x === undefined ? '<undefined>' : Object.is(x, -0) ? '<-0>' : x;
    if (Array.isArray(x)) return ['<array>', ...x.map(walk)];
    const proto = Object.getPrototypeOf(x) as object | null;
    const mark = proto === Object.prototype ? '<object>' : `<proto ${String(proto)}>`;
    return [mark, ...Object.keys(x).sort().map((key) => [key, walk((x as Record<string, unknown>)[key])])];
  };
  return JSON.stringify(walk(value));
}
