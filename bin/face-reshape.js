#!/usr/bin/env node
// The CLI runs the browser library in headless Chromium; see src/cli/main.ts (built to dist/node/cli.js).
import '../dist/node/cli.js';
