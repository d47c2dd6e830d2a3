#!/usr/bin/env node
// One bundled file: a third of the start-up time of resolving and loading each module.
import '../dist/planalign.mjs';
