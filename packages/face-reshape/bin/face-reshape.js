#!/usr/bin/env node
// The CLI runs the browser library in headless Chromium; see src/cli/main.ts (built to dist/cli.js).
import '../dist/cli.js';
