// Reference outputs of the RDN psnr-small model, computed by TensorFlow.js
// (the runtime the model was published for) on its CPU backend, for
// tests/test_rdn.c to compare the C engine against.
//
// Usage: node rdn_reference.mjs MODEL_DIR OUT_DIR
// Writes OUT_DIR/{input.f32, output.f32, dims.txt}: a deterministic 37x29
// RGB input in 0..1 (smooth gradients plus fixed-seed noise, odd sizes so
// every border case is hit) and the model's 74x58 output, float32 NHWC.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';

const [modelDir, outDir] = process.argv.slice(2);
if (!modelDir || !outDir) {
  console.error('usage: node rdn_reference.mjs MODEL_DIR OUT_DIR');
  process.exit(2);
}
await tf.setBackend('cpu');

const model = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
const group = model.weightsManifest[0];
const shard = fs.readFileSync(path.join(modelDir, group.paths[0]));
const weightData = shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength);
const net = await tfl.loadLayersModel(
  tf.io.fromMemory({modelTopology: model.modelTopology, weightSpecs: group.weights, weightData}));

const W = 37, H = 29;
const input = new Float32Array(W * H * 3);
let seed = 12345; // a fixed linear congruential generator: same input every run
const noise = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
for (let y = 0; y < H; y++)
  for (let x = 0; x < W; x++)
    for (let c = 0; c < 3; c++) {
      const smooth = 0.5 + 0.3 * Math.sin(0.21 * x + 0.9 * c) * Math.cos(0.17 * y - 0.4 * c);
      input[(y * W + x) * 3 + c] = Math.min(1, Math.max(0, smooth + 0.15 * noise()));
    }

const output = net.predict(tf.tensor4d(input, [1, H, W, 3])).dataSync();
fs.mkdirSync(outDir, {recursive: true});
fs.writeFileSync(path.join(outDir, 'input.f32'), Buffer.from(input.buffer));
fs.writeFileSync(path.join(outDir, 'output.f32'), Buffer.from(new Float32Array(output).buffer));
fs.writeFileSync(path.join(outDir, 'dims.txt'), `${W} ${H}\n`);
console.log(`reference: ${W}x${H} -> ${2 * W}x${2 * H}, ${output.length} values`);
