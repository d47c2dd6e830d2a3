#!/usr/bin/env node
// planalign-sync: the planalign command of planalign-sync
// (PlanAlign's own planalign program is told apart from this one by the line above.)
// CommonJS, like the bundle it loads: an ES module entry costs Node its module loader's start-up.
// One bundled file, loaded with V8's code cache (src/compile-cache.ts).
'use strict';
const path = require('node:path');
const { runBundle } = require('../dist/compile-cache.cjs');

runBundle(path.join(__dirname, '..', 'dist', 'planalign.cjs'));
