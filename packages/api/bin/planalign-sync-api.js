#!/usr/bin/env node
// Committed, unlike dist/: npm links a package's commands at install time, before dist/ is built.
import '../dist/main.js';
