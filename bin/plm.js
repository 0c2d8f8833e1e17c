#!/usr/bin/env node
'use strict';
// The operator CLI, run from the TypeScript sources through tsx (no build step): see README "The operator CLI".
require('tsx/cjs');
const { runPlm } = require('../src/cli/plm/main.ts');

runPlm(process.argv).then((code) => {
  process.exitCode = code;
});
