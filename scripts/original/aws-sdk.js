// A counting stand-in for the 'aws-sdk' (v2) module, for running the original 2019 Lambda
// (../shared/original-client/app.js) unmodified under node: see scripts/original/count.js.
//
// Every SDK call is counted as "service:Operation" and answered like the service would, from an
// in-memory DynamoDB (the original's three tables and their keys) and canned Comprehend /
// Translate answers (the same rules as chat-count-calls' fake for our Lambda). Answers
// arrive on a later turn of the event loop, as a network answer would: calls made before the
// first answer returns all go out, exactly as they would against AWS.
'use strict';

const state = {
  calls: {},
  posts: [],
  tables: {},
};

const KEYS = {
  // The original's key schemas (its template): Connections by connectionId; Conversations by
  // room + timestamp; Topics by room + topic.
  connections: ['connectionId'],
  conversations: ['room', 'timestamp'],
  topics: ['room', 'topic'],
};

function count(service, operation) {
  const key = `${service}:${operation}`;
  state.calls[key] = (state.calls[key] || 0) + 1;
}

function later(compute) {
  return {
    promise: () => new Promise((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(compute());
        } catch (err) {
          reject(err);
        }
      });
    }),
  };
}

function kindOf(tableName) {
  const kinds = {
    [process.env.CONNECTIONS_TABLE]: 'connections',
    [process.env.CONVERSATIONS_TABLE]: 'conversations',
    [process.env.TOPICS_TABLE]: 'topics',
  };
  const kind = kinds[tableName];
  if (!kind) throw new Error(`unknown table ${tableName}`);
  return kind;
}

function table(tableName) {
  const kind = kindOf(tableName);
  if (!state.tables[kind]) state.tables[kind] = new Map();
  return { kind, items: state.tables[kind] };
}

function keyOf(kind, item) {
  return JSON.stringify(KEYS[kind].map((name) => {
    if (item[name] === undefined) throw new Error(`missing key ${name} for ${kind}`);
    return item[name];
  }));
}

function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function roomOf(params) {
  if (params.KeyConditionExpression !== 'room = :room') {
    throw new Error(`unsupported KeyConditionExpression ${params.KeyConditionExpression}`);
  }
  return params.ExpressionAttributeValues[':room'];
}

class DocumentClient {
  get(params) {
    count('dynamodb', 'GetItem');
    return later(() => {
      const { kind, items } = table(params.TableName);
      const item = items.get(keyOf(kind, params.Key));
      return item === undefined ? {} : { Item: clone(item) };
    });
  }

  put(params) {
    count('dynamodb', 'PutItem');
    const item = clone(params.Item); // the SDK marshals the item when the call is made
    return later(() => {
      const { kind, items } = table(params.TableName);
      items.set(keyOf(kind, item), item);
      return {};
    });
  }

  delete(params) {
    count('dynamodb', 'DeleteItem');
    return later(() => {
      const { kind, items } = table(params.TableName);
      items.delete(keyOf(kind, params.Key));
      return {};
    });
  }

  update(params) {
    count('dynamodb', 'UpdateItem');
    return later(() => {
      if (params.UpdateExpression.trim().toLowerCase() !== 'add num :n') {
        throw new Error(`unsupported UpdateExpression ${params.UpdateExpression}`);
      }
      const { kind, items } = table(params.TableName);
      const key = keyOf(kind, params.Key);
      const item = items.get(key) || clone(params.Key);
      item.num = (item.num || 0) + params.ExpressionAttributeValues[':n'];
      items.set(key, item);
      return {};
    });
  }

  query(params) {
    count('dynamodb', 'Query');
    return later(() => {
      const { kind, items } = table(params.TableName);
      const room = roomOf(params);
      let found = [...items.values()].filter((item) => item.room === room);
      const sortKey = { numIndex: 'num', roomIndex: null }[params.IndexName];
      const by = params.IndexName ? sortKey : KEYS[kind][1];
      if (by) found.sort((a, b) => (a[by] < b[by] ? -1 : a[by] > b[by] ? 1 : 0));
      if (params.ScanIndexForward === false) found.reverse();
      if (params.Limit !== undefined) found = found.slice(0, params.Limit);
      return { Items: clone(found), Count: found.length };
    });
  }
}

class Comprehend {
  detectDominantLanguage(params) {
    count('comprehend', 'DetectDominantLanguage');
    return later(() => {
      void params.Text;
      return { Languages: [{ LanguageCode: 'en', Score: 0.99 }] };
    });
  }

  detectSentiment(params) {
    count('comprehend', 'DetectSentiment');
    return later(() => ({
      Sentiment: params.Text.includes('hate') ? 'NEGATIVE' : 'POSITIVE',
      SentimentScore: { Positive: 0.9, Negative: 0.05, Neutral: 0.04, Mixed: 0.01 },
    }));
  }

  detectEntities(params) {
    count('comprehend', 'DetectEntities');
    return later(() => {
      const begin = params.Text.indexOf('Paris');
      const entities = begin < 0 ? [] : [{
        Text: 'Paris', Type: 'LOCATION', Score: 0.99, BeginOffset: begin, EndOffset: begin + 5,
      }];
      return { Entities: entities };
    });
  }
}

class Translate {
  translateText(params) {
    count('translate', 'TranslateText');
    return later(() => ({
      TranslatedText: `[${params.TargetLanguageCode}] ${params.Text}`,
      SourceLanguageCode: params.SourceLanguageCode,
      TargetLanguageCode: params.TargetLanguageCode,
    }));
  }
}

class ApiGatewayManagementApi {
  constructor(options) {
    this.endpoint = options.endpoint;
  }

  postToConnection(params) {
    count('apigatewaymanagementapi', 'PostToConnection');
    const post = { connectionId: params.ConnectionId, data: JSON.parse(params.Data) };
    return later(() => {
      state.posts.push(post);
      return {};
    });
  }
}

module.exports = {
  config: { update: () => {} },
  DynamoDB: { DocumentClient },
  Comprehend,
  Translate,
  ApiGatewayManagementApi,
  __state: state,
};
