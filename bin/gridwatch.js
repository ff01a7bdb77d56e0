#!/usr/bin/env -S node --max-semi-space-size=64
// The installed `gridwatch` command: runs the compiled CLI (npm run build). In development use
// `node --import tsx src/cli/main.ts`.
import { main } from '../dist/src/cli/main.js';

await main();
