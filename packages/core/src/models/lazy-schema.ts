// every model builds its schemas through here: zod is configured before any of them parses
import './zod-config.js';

/**
 * A schema built the first time anything reads it. The models hold some 70 zod schemas, and
 * building them all was a fifth of a command's start-up, though a command uses a few; each is
 * built once, on its first use, and is then the very schema it would have been.
 *
 * What stands for the schema forwards every property read to it (zod reaches a schema through
 * its properties, and `instanceof` through its prototype); it has no own properties of its own,
 * so code that copies a schema's properties must use the schema's own methods (`.extend`,
 * `.pick`…), as zod's documentation asks anyway.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let built: T | undefined;
  const schema = () => (built ??= build());
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(schema(), key) as unknown,
    has: (_target, key) => Reflect.has(schema(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
}
