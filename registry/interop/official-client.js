// Confluent's official JavaScript client (@confluentinc/schemaregistry) and kafkajs against our registry and broker.
// Run by stack/src/test/java/io/salientstream/stack/ConfluentJsClientTest.java:
//   node official-client.js <input.json> <output.json>
// input: {registryUrl, bootstrap, prefix, javaTopics: {topic: count}, jsTopic, jsCount}
// output: {cases: [{name, ok, error}], decoded: {topic: [values]}, jsWritten: [values]}
'use strict';
const fs = require('fs');
const sr = require('@confluentinc/schemaregistry');
const { Kafka, logLevel } = require('kafkajs');
const cases = require('./cases');
const { check, eq, plain } = cases;

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = { cases: [], decoded: {}, jsWritten: [] };
const P = input.prefix;
const newClient = () => new sr.SchemaRegistryClient({ baseURLs: [input.registryUrl], maxRetries: 0 });
const client = newClient();
const rest = client.restService;

const rec = (name, fields) => JSON.stringify({ type: 'record', name, namespace: 'io.salientstream.js', fields });
const A = { name: 'a', type: 'string' };
const V1 = { schemaType: 'AVRO', schema: rec('J', [A]) };
const V2 = { schemaType: 'AVRO', schema: rec('J', [A, { name: 'b', type: 'int', default: 0 }]) };
// reads V2 data but not V1 data (b without a default)
const V3 = { schemaType: 'AVRO', schema: rec('J', [A, { name: 'b', type: 'int' }]) };
const BREAKING = { schemaType: 'AVRO', schema: rec('J', [{ name: 'a', type: 'int' }]) };



async function restError(promise, status, code) {
  try {
    await promise;
  } catch (e) {
    eq([e.status, e.errorCode], [status, code], 'HTTP status and error_code (' + e.message + ')');
    return e;
  }
  throw new Error('expected an error ' + status + '/' + code + ', the call succeeded');
}



async function registryCases() {
  const s = P + '-reg-value';
  let first;
  await cases.run(out, 'register returns id, version and guid', async () => {
    first = await client.registerFullResponse(s, V1);
    check(first.id > 0, 'a positive id, got ' + JSON.stringify(first));
    check(typeof first.guid === 'string' && first.guid.length === 36, 'a guid, got ' + JSON.stringify(first));
  });
  await cases.run(out, 'register the same schema again (fresh client) gives the same id', async () => {
    eq(await newClient().register(s, V1), first.id, 'id');
  });
  await cases.run(out, 'getId / getIdFullResponse look the schema up', async () => {
    const r = await newClient().getIdFullResponse(s, V1);
    eq([r.id, r.version, r.guid], [first.id, 1, first.guid], 'id, version, guid');
  });
  await cases.run(out, 'getBySubjectAndId', async () => {
    const info = await newClient().getBySubjectAndId(s, first.id);
    eq(JSON.parse(info.schema).name, 'J', 'schema name');
  });
  await cases.run(out, 'getByGuid', async () => {
    const info = await newClient().getByGuid(first.guid);
    eq(JSON.parse(info.schema).fields.length, 1, 'fields');
  });
  await cases.run(out, 'register an evolved schema; getLatestSchemaMetadata', async () => {
    await client.register(s, V2);
    const m = await newClient().getLatestSchemaMetadata(s);
    eq(m.version, 2, 'latest version');
    check(typeof m.guid === 'string', 'a guid on the latest version');
  });
  await cases.run(out, 'getSchemaMetadata', async () => {
    eq((await newClient().getSchemaMetadata(s, 1)).id, first.id, 'id of version 1');
  });
  await cases.run(out, 'getAllVersions', async () => eq(await client.getAllVersions(s), [1, 2], 'versions'));
  await cases.run(out, 'getAllSubjects', async () => check((await client.getAllSubjects()).includes(s), s + ' listed'));
  await cases.run(out, 'getVersion (lookup by schema)', async () => eq(await newClient().getVersion(s, V2), 2, 'version'));
  await cases.run(out, 'testSubjectCompatibility (against latest)', async () => {
    eq(await client.testSubjectCompatibility(s, BREAKING), false, 'breaking change');
    eq(await client.testSubjectCompatibility(s, V3), true, 'readable against the latest');
  });
  await cases.run(out, 'testCompatibility against one version', async () => {
    eq(await client.testCompatibility(s, 1, V3), false, 'against version 1');
    eq(await client.testCompatibility(s, 2, V3), true, 'against version 2');
  });
  await cases.run(out, 'updateCompatibility / getCompatibility of a subject', async () => {
    eq(await client.updateCompatibility(s, 'BACKWARD_TRANSITIVE'), 'BACKWARD_TRANSITIVE', 'update answer');
    eq(await client.getCompatibility(s), 'BACKWARD_TRANSITIVE', 'subject level');
  });
  await cases.run(out, 'compatibility against all versions (POST /compatibility/subjects/{s}/versions)', async () => {
    const r = await rest.handleRequest('/compatibility/subjects/' + s + '/versions?verbose=true', 'POST', V3);
    eq(r.data.is_compatible, false, 'is_compatible');
    check(r.data.messages.length > 0, 'messages');
  });
  await cases.run(out, 'register refuses an incompatible schema with 409', async () => {
    await restError(newClient().register(s, V3), 409, 409);
  });
  await cases.run(out, 'getDefaultCompatibility / getDefaultConfig', async () => {
    check(typeof (await client.getDefaultCompatibility()) === 'string', 'a level');
    check(typeof (await client.getDefaultConfig()).compatibilityLevel === 'string', 'a level in the config');
  });
  await cases.run(out, 'updateConfig / getConfig with normalize', async () => {
    await client.updateConfig(s, { compatibility: 'BACKWARD_TRANSITIVE', normalize: true });
    const c = await client.getConfig(s);
    eq([c.compatibilityLevel, c.normalize], ['BACKWARD_TRANSITIVE', true], 'config');
  });
  await cases.run(out, 'deleteSubjectVersion, soft then permanent', async () => {
    eq(await client.deleteSubjectVersion(s, 2, false), 2, 'soft delete answer');
    eq(await client.getAllVersions(s), [1], 'live versions');
    eq((await newClient().getSchemaMetadata(s, 2, true)).version, 2, 'deleted version with deleted=true');
    await restError(newClient().getSchemaMetadata(s, 2, false), 404, 40402);
    await restError(client.deleteSubjectVersion(s, 2, false), 404, 40406);
    await restError(client.deleteSubjectVersion(s, 1, true), 404, 40407);
    eq(await client.deleteSubjectVersion(s, 2, true), 2, 'permanent delete answer');
    await restError(newClient().getSchemaMetadata(s, 2, true), 404, 40402);
  });
  await cases.run(out, 'deleteSubject, soft (40404 the second time), deleted=true lookup, then permanent', async () => {
    await restError(client.deleteSubject(s, true), 404, 40405);
    eq(await client.deleteSubject(s, false), [1], 'soft delete answer');
    await restError(client.deleteSubject(s, false), 404, 40404);
    await restError(newClient().getVersion(s, V1, false, false), 404, 40401);
    eq(await newClient().getVersion(s, V1, false, true), 1, 'lookup with deleted=true');
    const ids = await rest.handleRequest('/schemas/ids/' + first.id + '/versions?deleted=true', 'GET');
    eq(ids.data, [{ subject: s, version: 1 }], 'id versions with deleted=true');
    eq(await client.deleteSubject(s, true), [1], 'permanent delete answer');
    check(!(await client.getAllSubjects()).includes(s), s + ' gone');
  });
  await cases.run(out, 'unknown subject and bad version keep Confluent codes', async () => {
    await restError(newClient().getLatestSchemaMetadata(P + '-nope'), 404, 40401);
    await restError(rest.handleRequest('/subjects/' + P + '-nope/versions/zero', 'GET'), 422, 42202);
  });
}

async function metadataAndModeCases() {
  const m = P + '-meta-value';
  await cases.run(out, 'getLatestWithMetadata', async () => {
    await client.register(m, { ...V1, metadata: { properties: { owner: 'team-js' } } });
    await client.register(m, { ...V2, metadata: { properties: { owner: 'team-other' } } });
    const r = await newClient().getLatestWithMetadata(m, { owner: 'team-js' });
    eq([r.version, r.metadata.properties.owner], [1, 'team-js'], 'version and metadata');
    await restError(newClient().getLatestWithMetadata(m, { owner: 'nobody' }), 404, 40403);
  });
  await cases.run(out, 'serializer with useLatestWithMetadata', async () => {
    const ser = new sr.AvroSerializer(newClient(), sr.SerdeType.VALUE,
      { autoRegisterSchemas: false, useLatestWithMetadata: { owner: 'team-js' } });
    const bytes = await ser.serialize(P + '-meta', { a: 'x' });
    const v1 = await newClient().getSchemaMetadata(m, 1);
    eq(bytes.readInt32BE(1), v1.id, 'schema id in the bytes');
  });
  const s = P + '-mode-value';
  await cases.run(out, 'modes: READONLY refuses writes with 42205, DELETE restores', async () => {
    await client.register(s, V1);
    eq((await rest.handleRequest('/mode', 'GET')).data.mode, 'READWRITE', 'global mode');
    await restError(rest.handleRequest('/mode/' + s, 'GET'), 404, 40409);
    eq((await rest.handleRequest('/mode/' + s, 'PUT', { mode: 'READONLY' })).data, { mode: 'READONLY' }, 'set');
    eq((await rest.handleRequest('/mode/' + s + '?defaultToGlobal=true', 'GET')).data.mode, 'READONLY', 'get');
    await restError(newClient().register(s, V2), 422, 42205);
    await restError(client.deleteSubject(s), 422, 42205);
    await restError(client.deleteSubjectVersion(s, 1), 422, 42205);
    await restError(rest.handleRequest('/mode/' + s, 'PUT', { mode: 'SIDEWAYS' }), 422, 42204);
    eq((await rest.handleRequest('/mode/' + s, 'DELETE')).data, { mode: 'READONLY' }, 'delete answer');
    eq(await newClient().register(s, V2) > 0, true, 'writable again');
  });
  await cases.run(out, 'IMPORT mode keeps an explicit id', async () => {
    const imp = P + '-import-value';
    await rest.handleRequest('/mode/' + imp, 'PUT', { mode: 'IMPORT' });
    const r = await rest.handleRequest('/subjects/' + imp + '/versions', 'POST', { ...V1, id: 900000 + (Date.now() % 90000), version: 3 });
    check(r.data.id >= 900000 && r.data.version === 3, 'the given id and version, got ' + JSON.stringify(r.data));
    await rest.handleRequest('/mode/' + imp, 'DELETE');
  });
  await cases.run(out, 'GET /contexts, /schemas?subjectPrefix, referencedby, fetchMaxId, subjectPrefix', async () => {
    eq((await rest.handleRequest('/contexts', 'GET')).data, ['.'], 'contexts');
    const all = (await rest.handleRequest('/schemas?subjectPrefix=' + P + '-meta', 'GET')).data;
    eq(all.map((x) => x.version), [1, 2], 'versions of the prefixed subject');
    eq((await rest.handleRequest('/subjects/' + m + '/versions/1/referencedby', 'GET')).data, [], 'referencedby');
    const id = (await newClient().getSchemaMetadata(m, 1)).id;
    check((await rest.handleRequest('/schemas/ids/' + id + '?fetchMaxId=true', 'GET')).data.maxId >= id, 'maxId');
    eq((await rest.handleRequest('/subjects?subjectPrefix=' + P + '-meta', 'GET')).data, [m], 'subjectPrefix');
  });
}

async function serdeCases(kafka) {
  const topic = input.jsTopic;
  const valueSchema = {
    schemaType: 'AVRO', schema: JSON.stringify({
      type: 'record', name: 'JsEvent', namespace: 'io.salientstream.js',
      fields: [{ name: 'experimentId', type: 'string' }, { name: 'step', type: 'long' },
        { name: 'loss', type: 'double' }, { name: 'tag', type: ['null', 'string'], default: null }],
    }),
  };
  await cases.run(out, 'header-id serializer (guid in a header) round trip', async () => {
    await valueSchemaRegistered(valueSchema, topic + '-headers');
    const ser = new sr.AvroSerializer(newClient(), sr.SerdeType.VALUE,
      { autoRegisterSchemas: false, useLatestVersion: true, schemaIdSerializer: sr.HeaderSchemaIdSerializer });
    const headers = {};
    const bytes = await ser.serialize(topic + '-headers', { experimentId: 'e', step: 1, loss: 0.5, tag: null }, headers);
    check(Object.keys(headers).length === 1, 'one schema id header, got ' + Object.keys(headers));
    const de = new sr.AvroDeserializer(newClient(), sr.SerdeType.VALUE, {});
    const back = await de.deserialize(topic + '-headers', bytes, headers);
    eq([back.experimentId, back.step, back.loss], ['e', 1, 0.5], 'decoded');
  });
  await cases.run(out, 'official serializer writes records with kafkajs (decoded by Java)', async () => {
    await valueSchemaRegistered(valueSchema, topic);
    const ser = new sr.AvroSerializer(newClient(), sr.SerdeType.VALUE,
      { autoRegisterSchemas: false, useLatestVersion: true });
    const producer = kafka.producer();
    await producer.connect();
    const messages = [];
    for (let i = 0; i < input.jsCount; i++) {
      const value = { experimentId: 'js-exp', step: i, loss: 1.0 / (i + 1), tag: i % 2 ? 'odd' : null };
      out.jsWritten.push(value);
      messages.push({ key: 'js-exp', value: await ser.serialize(topic, value) });
    }
    await producer.send({ topic, messages });
    await producer.disconnect();
  });
  await cases.run(out, 'kafkajs + official deserializer decode every topic written by Java', async () => {
    const de = new sr.AvroDeserializer(newClient(), sr.SerdeType.VALUE, {});
    const consumer = kafka.consumer({ groupId: P + '-decoder' });
    await consumer.connect();
    const topics = Object.keys(input.javaTopics);
    await consumer.subscribe({ topics, fromBeginning: true });
    let errors = 0;
    let remaining = topics.reduce((n, t) => n + input.javaTopics[t], 0);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out with ' + remaining + ' records left')), 60000);
      consumer.run({
        eachMessage: async ({ topic: t, message }) => {
          try {
            (out.decoded[t] = out.decoded[t] || []).push(plain(await de.deserialize(t, message.value)));
          } catch (e) {
            errors++;
            console.log('decode error on ' + t + ': ' + e.message);
          }
          if (--remaining === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    eq(errors, 0, 'decode errors');
  });
}

async function valueSchemaRegistered(schema, topic) {
  await client.register(topic + '-value', schema);
}

(async () => {
  const kafka = new Kafka({ clientId: 'salientstream-js-interop', brokers: [input.bootstrap], logLevel: logLevel.WARN });
  await registryCases();
  await metadataAndModeCases();
  await serdeCases(kafka);
  fs.writeFileSync(process.argv[3], JSON.stringify(out));
  const failed = out.cases.filter((c) => !c.ok).length;
  console.log('cases: ' + out.cases.length + ', failed: ' + failed);
  process.exit(0);
})().catch((e) => {
  console.error(e);
  fs.writeFileSync(process.argv[3], JSON.stringify(out));
  process.exit(2);
});
