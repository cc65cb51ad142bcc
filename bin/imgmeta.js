#!/usr/bin/env node
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'out', 'cli', 'index.cjs');
if (!fs.existsSync(cli)) {
  process.stderr.write('imgmeta: the CLI is not built yet: run `npm run build`\n');
  process.exit(2);
}
// Map stack traces back to src/ through the bundle's sourcemap.
process.setSourceMapsEnabled(true);
require(cli);
