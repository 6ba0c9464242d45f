const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');
const fs = require('fs');
(async () => {
  const registry = new SchemaRegistry({ host: process.env.REGISTRY_URL || 'http://localhost:8081' });
  const schema = fs.readFileSync(process.argv[2], 'utf8');
  const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject: 'interop-value' });
  const again = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(JSON.parse(schema)) }, { subject: 'interop-value' });
  const rec = { experimentId: 'e1', step: 3, values: [1.0, -2.5], layer: 'l' };
  const buf = await registry.encode(id, rec);
  console.log(JSON.stringify({ id, sameIdAgain: again.id === id, hex: buf.toString('hex') }));
  // decode bytes that the Java serializer produced (passed as hex)
  if (process.argv[3]) {
    const decoded = await registry.decode(Buffer.from(process.argv[3], 'hex'));
    console.log(JSON.stringify({ decodedFromJava: decoded }));
  }
  const latest = await registry.getLatestSchemaId('interop-value');
  console.log(JSON.stringify({ latest }));
  // incompatible change -> our 409 must surface as Confluent's error
  try {
    const bad = JSON.parse(schema); bad.fields.push({ name: 'required', type: 'int' });
    await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(bad) }, { subject: 'interop-value' });
    console.log('UNEXPECTED: incompatible schema accepted');
  } catch (e) { console.log(JSON.stringify({ incompatible: e.name, status: e.status, message: String(e.message).slice(0, 120) })); }
})().catch(e => { console.error('FAILED', e); process.exit(1); });
