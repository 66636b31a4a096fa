// Times llama.cpp's decode of one GGUF on the CPU through node-llama-cpp: loads the model (no mmap,
// no GPU) with THREADS threads, evaluates a one-token prompt, then generates TOKENS tokens
// greedily, RUNS times; prints one JSON line with each run's decode tokens per second (the tokens
// after the first, over the time they took) and their median.
// Usage: node llama_cpp_decode.mjs MODEL.gguf [TOKENS=48] [RUNS=5] [THREADS=2]
// llama_cpp_speed.sh copies it next to node_modules so that the import resolves.
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [modelPath, tokensText, runsText, threadsText] = process.argv.slice(2);
const tokens = Number(tokensText ?? 48), runs = Number(runsText ?? 5), threads = Number(threadsText ?? 2);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath, gpuLayers: 0, useMmap: false});
const context = await model.createContext({contextSize: 512, sequences: 1, flashAttention: true, threads});
const sequence = context.getSequence();
const speeds = [];
for (let run = 0; run < runs + 1; ++run) {  // run 0 warms up
    await sequence.clearHistory();
    let count = 0, start = 0;
    for await (const token of sequence.evaluate(model.tokenize("hello"), {temperature: 0})) {
        if (++count === 1) start = performance.now();  // the prompt is in; time the generated tokens
        if (count > tokens) break;
    }
    const seconds = (performance.now() - start) / 1000;
    if (run > 0) speeds.push(tokens / seconds);
}
speeds.sort((a, b) => a - b);
console.log(JSON.stringify({model: modelPath, threads, tokens, runs: speeds,
                            median_tokens_per_second: speeds[Math.floor(speeds.length / 2)]}));
await context.dispose();
await model.dispose();
await llama.dispose();
process.exit(0);
