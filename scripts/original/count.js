// Run the original 2019 Lambda (app.js, unmodified, loaded from where it lies) against a counting
// fake 'aws-sdk' (./aws-sdk.js) and print the AWS calls of each step as JSON.
//
//   node scripts/original/count.js PATH/TO/app.js < steps.json
//
// steps.json: [{"name": str, "fresh": bool, "events": [Lambda event, ...]}, ...]. The events of
// a step run one after another (each awaited, as API Gateway invokes one event per Lambda
// instance at a time). "fresh": true starts a new container first: app.js is loaded again, so
// its module-level translation cache starts empty (the tables, i.e. AWS, are kept).
// Output: {"steps": {name: {"service:Operation": n}}, "posts": {name: [{connectionId, data}]}}.
// Date.now() advances 1 ms per call so that no two stored messages share a timestamp (the
// original keys messages by room + timestamp and would overwrite same-millisecond ones).
'use strict';

const fs = require('fs');
const Module = require('module');
const path = require('path');

const fakeSdk = path.join(__dirname, 'aws-sdk.js');
const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveAwsSdk(request, ...rest) {
  return request === 'aws-sdk' ? fakeSdk : resolve.call(this, request, ...rest);
};
const sdk = require(fakeSdk);

let clock = 1763900000000;
Date.now = () => clock++;

function loadApp(appPath) {
  delete require.cache[require.resolve(appPath)];
  return require(appPath);
}

async function main() {
  const appPath = path.resolve(process.argv[2] || '');
  const steps = JSON.parse(fs.readFileSync(0, 'utf8'));
  process.env.CONNECTIONS_TABLE = process.env.CONNECTIONS_TABLE || 'Connections';
  process.env.CONVERSATIONS_TABLE = process.env.CONVERSATIONS_TABLE || 'Conversations';
  process.env.TOPICS_TABLE = process.env.TOPICS_TABLE || 'Topics';
  const log = console.log;
  console.log = () => {}; // the original logs every event and object it handles
  let app = loadApp(appPath);
  const result = { steps: {}, posts: {} };
  for (const step of steps) {
    if (step.fresh) app = loadApp(appPath);
    sdk.__state.calls = {};
    sdk.__state.posts = [];
    for (const event of step.events) {
      const response = await app.lambdaHandler(event, {});
      if (!response || response.statusCode !== 200) {
        throw new Error(`step ${step.name}: handler answered ${JSON.stringify(response)}`);
      }
    }
    result.steps[step.name] = sdk.__state.calls;
    result.posts[step.name] = sdk.__state.posts;
  }
  console.log = log;
  process.stdout.write(JSON.stringify(result));
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
