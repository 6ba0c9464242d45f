// One whole SalientStream experiment driven from JavaScript with Confluent's official client and kafkajs: the
// registration and every step are serialized by the official AvroSerializer (with the schemas the Java side
// registered), the salience-analyzer and pruner answer, and the rank-pruning commands are decoded by the official
// AvroDeserializer and checked here. Run by tools/.../OfficialClientExperimentTest.java:
//   node experiment.js <input.json> <output.json>
// input:  {registryUrl, bootstrap, topics: {experiments, singularValues, rankCommands}, experimentId, runId, epoch,
//          matrices, rank, steps, warmup, finalSteps, targetBudget, policyParams, expectedCommands}
// output: {cases: [{name, ok, error}], commands: [decoded RankPruneCommand values]}
'use strict';
const fs = require('fs');
const sr = require('@confluentinc/schemaregistry');
const { Kafka, logLevel } = require('kafkajs');
const cases = require('./cases');
const { check, plain } = cases;

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = { cases: [], commands: [] };
const newClient = () => new sr.SchemaRegistryClient({ baseURLs: [input.registryUrl], maxRetries: 0 });


// A deterministic generator (the Java side reads back what was sent; it does not need to reproduce it).
let seed = 12345;
function uniform() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

function matrixNames() {
  const names = [];
  for (let k = 0; k < input.matrices; k++) {
    names.push({ name: 'layer.' + Math.floor(k / 2) + '.m' + (k % 2), layer: Math.floor(k / 2) });
  }
  return names;
}

function spec() {
  return {
    experimentId: input.experimentId,
    tenant: '',
    createdAtMs: 1,
    model: 'synthetic',
    task: 'js-interop',
    matrices: matrixNames().map((m) => ({ name: m.name, layer: m.layer, dOut: 8, dIn: 8, initialRank: input.rank })),
    policy: 'salientlora',
    policyParams: input.policyParams,
    schedule: {
      totalSteps: input.steps, initialWarmupSteps: input.warmup, finalSteps: input.finalSteps,
      initialBudget: input.matrices * input.rank, targetBudget: input.targetBudget,
    },
    seed: 0,
    allocation: 'kafka-async',
    description: 'written by the official JavaScript client',
  };
}

function step(s) {
  return {
    experimentId: input.experimentId,
    runId: input.runId,
    epoch: input.epoch,
    step: s,
    wallClockMs: 1000 + s,
    orthRegLoss: 0.5 + 0.01 * uniform(),
    taskLoss: 1.0,
    learningRate: 1e-3,
    matrices: matrixNames().map((m) => {
      const values = [];
      const mask = [];
      for (let i = 0; i < input.rank; i++) {
        values.push(0.01 * (i + 1) + 1e-4 * s * (i % 3) + 1e-5 * (uniform() - 0.5));
        mask.push(true);
      }
      return { name: m.name, layer: m.layer, singularValues: values, mask, importance: null, inputStats: null };
    }),
  };
}



(async () => {
  const kafka = new Kafka({ clientId: 'salientstream-js-experiment', brokers: [input.bootstrap], logLevel: logLevel.WARN });
  const t = input.topics;
  const ser = () => new sr.AvroSerializer(newClient(), sr.SerdeType.VALUE,
    { autoRegisterSchemas: false, useLatestVersion: true });

  await cases.run(out, 'registration and ' + input.steps + ' steps serialized by the official client and sent with kafkajs',
    async () => {
      const specSer = ser();
      const stepSer = ser();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: t.experiments,
        messages: [{ key: input.experimentId, value: await specSer.serialize(t.experiments, spec()) }] });
      const messages = [];
      for (let s = 0; s < input.steps; s++) {
        messages.push({ key: input.experimentId, value: await stepSer.serialize(t.singularValues, step(s)) });
      }
      await producer.send({ topic: t.singularValues, messages });
      await producer.disconnect();
    });

  await cases.run(out, 'the pruner\'s commands decoded by the official deserializer: sequence, epoch, apply-at step', async () => {
    const de = new sr.AvroDeserializer(newClient(), sr.SerdeType.VALUE, {});
    const consumer = kafka.consumer({ groupId: input.experimentId + '-js', readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topics: [t.rankCommands], fromBeginning: true });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out with ' + out.commands.length + ' of '
        + input.expectedCommands + ' commands')), 90000);
      consumer.run({
        eachMessage: async ({ message }) => {
          const c = plain(await de.deserialize(t.rankCommands, message.value));
          if (c.experimentId !== input.experimentId) {
            return;
          }
          out.commands.push(c);
          if (out.commands.length >= input.expectedCommands) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    out.commands.forEach((c, i) => {
      // longs may decode as bigint (plain() writes them as decimal strings)
      const seq = Number(c.sequence);
      const decided = Number(c.decidedAtStep);
      check(seq === i + 1, 'sequence ' + (i + 1) + ', got ' + c.sequence);
      check(c.targetRunId === input.runId && Number(c.targetEpoch) === input.epoch,
        'run ' + input.runId + '/' + input.epoch + ', got ' + c.targetRunId + '/' + c.targetEpoch);
      check(Number(c.applyAtStep) === decided + 1, 'applyAtStep = decidedAtStep + 1, got ' + c.applyAtStep
        + ' for ' + c.decidedAtStep);
      check(i === 0 || decided > Number(out.commands[i - 1].decidedAtStep), 'increasing decision steps');
      const kept = c.masks.reduce((n, m) => n + m.keep.filter((b) => b).length, 0);
      check(kept === c.totalRank, 'totalRank ' + c.totalRank + ' = kept entries ' + kept);
    });
  });

  fs.writeFileSync(process.argv[3], JSON.stringify(out));
  const failed = out.cases.filter((c) => !c.ok).length;
  console.log('cases: ' + out.cases.length + ', failed: ' + failed);
  process.exit(0);
})().catch((e) => {
  console.error(e);
  fs.writeFileSync(process.argv[3], JSON.stringify(out));
  process.exit(2);
});
