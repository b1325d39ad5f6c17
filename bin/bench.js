#!/usr/bin/env node
// Runs the TypeScript benchmarks through tsx, like bin/cutroom.js runs the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../bench/run-all.ts');
