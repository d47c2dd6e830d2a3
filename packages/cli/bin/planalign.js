#!/usr/bin/env node
// planalign-sync: the planalign command of planalign-sync
// (PlanAlign's own planalign program is told apart from this one by the line above.)
// One bundled file: a third of the start-up time of resolving and loading each module.
import '../dist/planalign.mjs';
