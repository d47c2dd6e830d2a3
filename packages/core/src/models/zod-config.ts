import * as z from 'zod';

/**
 * zod compiles a fast path (with `new Function`) for each object schema the first time it parses
 * one. A command parses each schema a few times and exits, so compiling cost more than it saved:
 * about 15 ms of CPU in a status of a 0.12 s. Schemas here run as zod builds them.
 */
z.config({ jitless: true });
