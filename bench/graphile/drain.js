// drain.js — graphile-worker's side of bench/peer-graphile.sh.
//   node drain.js URL N CONCURRENCY ENQUEUE_BATCH [default|batched]
// Enqueues N no-op jobs with addJobs in batches, then runs a worker until
// every job has succeeded.  `default`: run() at CONCURRENCY with graphile's
// defaults.  `batched`: graphile's performance settings, which 0.17 reads
// from preset.worker only (given as plain run() options they are silently
// ignored): 24 concurrent jobs, a local queue of 500, completions batched
// with no delay, a pool larger than the concurrency.  Prints one line:
//   enqueue=<jobs/s> drain=<jobs/s>
const { run, makeWorkerUtils, runMigrations } = require("graphile-worker");

async function main() {
  const [url, nArg, concArg, batchArg, mode = "default"] = process.argv.slice(2);
  const n = Number(nArg), concurrency = Number(concArg), batch = Number(batchArg);
  await runMigrations({ connectionString: url });
  const utils = await makeWorkerUtils({ connectionString: url });
  let t0 = process.hrtime.bigint();
  for (let done = 0; done < n; done += batch) {
    const k = Math.min(batch, n - done);
    await utils.addJobs(Array.from({ length: k }, () => ({ identifier: "noop", payload: {} })));
  }
  const enqueueS = Number(process.hrtime.bigint() - t0) / 1e9;
  await utils.release();

  let ok = 0, finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  t0 = process.hrtime.bigint();
  const taskList = { noop: async () => {} };
  const runner = mode === "batched"
    ? await run({
        noHandleSignals: true, taskList,
        preset: { worker: { connectionString: url, concurrentJobs: 24, maxPoolSize: 32,
          pollInterval: 1000, localQueue: { size: 500 }, completeJobBatchDelay: 0 } },
      })
    : await run({
        connectionString: url, concurrency, noHandleSignals: true, pollInterval: 1000,
        logger: undefined, taskList,
      });
  runner.events.on("job:success", () => { if (++ok === n) finish(); });
  await finished;
  const drainS = Number(process.hrtime.bigint() - t0) / 1e9;
  await runner.stop();
  console.log(`enqueue=${(n / enqueueS).toFixed(0)} drain=${(n / drainS).toFixed(0)}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
