package io.salientstream.core.salient;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * A tiny fork/join helper: runs {@code worker(0..threads-1)} with worker 0 on the calling thread
 * and the others on a shared daemon {@link ForkJoinPool}. Workers share work through an atomic
 * counter, so results must not depend on which worker did what (the graph builder sorts its edges
 * afterwards).
 */
final class Parallel {
  private static final ForkJoinPool POOL =
      new ForkJoinPool(
          Math.max(1, Runtime.getRuntime().availableProcessors()),
          pool -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            t.setDaemon(true);
            t.setName("salience-" + t.getPoolIndex());
            return t;
          },
          null,
          false);

  private Parallel() {}

  /** The default worker count: the number of available processors, at most 8. */
  static int defaultThreads() {
    return Math.min(8, Math.max(1, Runtime.getRuntime().availableProcessors()));
  }

  static void run(int threads, IntConsumer worker) {
    if (threads <= 1) {
      worker.accept(0);
      return;
    }
    List<Future<?>> futures = new ArrayList<>(threads - 1);
    for (int w = 1; w < threads; w++) {
      final int id = w;
      futures.add(POOL.submit(() -> worker.accept(id)));
    }
    RuntimeException failure = null;
    try {
      worker.accept(0);
    } catch (RuntimeException e) {
      failure = e;
    }
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("salience computation interrupted", e);
      } catch (ExecutionException e) {
        if (failure == null) {
          failure =
              e.getCause() instanceof RuntimeException re
                  ? re
                  : new IllegalStateException(e.getCause());
        }
      }
    }
    if (failure != null) throw failure;
  }
}
