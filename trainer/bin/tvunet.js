#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the trainer shares the library's sources as they are.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
