import * as z from 'zod';

/**
 * zod compiles a fast path (with `new Function`) for each object schema the first time it parses
 * one. A command parses each schema a few times and exits, so compiling cost more than it saved:
 * about 7 ms of CPU in a 0.15 s typical status (measured over 60 runs). Schemas here run as zod builds them.
 */
z.config({ jitless: true });
