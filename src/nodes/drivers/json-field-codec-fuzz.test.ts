/**
 * Fuzz: random bytes and mutated good payloads, a fixed count from a fixed seed, through the
 * MQTT driver's JSON decoder. It must never throw, must report every payload it refuses with
 * a kind, and must accept only payloads whose every field is a finite number.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../math/rng.js';
import { JsonFieldCodec } from './mqtt-driver-node.js';

const fields = [
  { name: 'cart_ticks', key: 'cart.ticks' },
  { name: 'cart_speed', key: 'cart.speed' },
  { name: 'pole_ticks', key: 'pole.ticks' },
];

test('the JSON field decoder survives 20 000 random and mutated payloads', () => {
  const codec = new JsonFieldCodec('fuzz/state', fields, 512);
  const rng = new Rng(Number(process.env.FUZZ_SEED ?? 7));
  const good = codec.encode([12, -3.5, 8192]);
  const kinds: Record<string, number> = {};
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      // Pure noise, of any length up to a bit over the size limit.
      bytes = new Uint8Array(Math.floor(rng.uniform() * 600));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rng.uniform() * 256);
    } else {
      // A good payload with a few bytes replaced, deleted or duplicated.
      const chars = [...good];
      for (let k = 0, n = 1 + Math.floor(rng.uniform() * 3); k < n; k++) {
        const at = Math.floor(rng.uniform() * chars.length);
        const op = rng.uniform();
        if (op < 0.4) chars[at] = String.fromCharCode(32 + Math.floor(rng.uniform() * 95));
        else if (op < 0.7) chars.splice(at, 1);
        else chars.splice(at, 0, chars[at]);
      }
      bytes = Buffer.from(chars.join(''), 'utf8');
    }
    const result = codec.decode(bytes);
    if (result instanceof Float64Array) {
      accepted++;
      assert.equal(result.length, fields.length);
      assert.ok(result.every(Number.isFinite));
      const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<
        string,
        Record<string, unknown>
      >;
      assert.equal(parsed.cart.ticks, result[0]);
      assert.equal(parsed.pole.ticks, result[2]);
    } else {
      assert.ok(result.message.startsWith('fuzz/state: '), result.message);
      kinds[result.kind] = (kinds[result.kind] ?? 0) + 1;
    }
  }
  // Both outcomes happen: mutations that keep the JSON valid are accepted, the rest refused by kind.
  assert.ok(accepted > 0, 'some mutated payloads still decode');
  for (const kind of ['not_json', 'oversize', 'missing_field'])
    assert.ok((kinds[kind] ?? 0) > 0, `kind ${kind}: ${JSON.stringify(kinds)}`);
});
