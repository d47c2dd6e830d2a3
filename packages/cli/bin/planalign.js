#!/usr/bin/env node
// planalign-sync: the planalign command of planalign-sync
// (PlanAlign's own planalign program is told apart from this one by the line above.)
// One bundled file: a third of the start-up time of resolving and loading each module.
import module from 'node:module';

// Node 22.1 and later keep V8's compiled code of the bundle between runs; Node 20 compiles it each time.
module.enableCompileCache?.();
await import('../dist/planalign.mjs');
