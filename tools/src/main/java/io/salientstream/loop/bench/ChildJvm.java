package io.salientstream.loop.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A process of the chaos benchmark in a JVM of its own (an app instance or a broker), on the
 * bench's classpath: started, awaited until it prints {@code READY}, killed with SIGKILL ({@link
 * Process#destroyForcibly()}) and started again.
 *
 * <p>No orphans: every child runs {@link #main} first, which halts the child as soon as its stdin
 * reaches end of file — that is, as soon as the bench's JVM is gone, however it died (even by
 * SIGKILL, when no shutdown hook of the bench runs). A shutdown hook of the bench also kills every
 * child still alive, so none holds its ports after a normal exit or a SIGTERM.
 */
final class ChildJvm {

  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (Process p : LIVE) {
                    p.destroyForcibly();
                  }
                },
                "chaos-children-killer"));
  }

  final String name;
  final List<String> command;
  final Path logFile;
  private volatile Process process;

  /**
   * @param mainClass the child's main class, started through {@link #main}
   * @param jvmOptions e.g. {@code -Xmx320m}
   */
  ChildJvm(
      String name, Path logFile, List<String> jvmOptions, String mainClass, List<String> args) {
    this.name = name;
    this.logFile = logFile;
    List<String> c = new ArrayList<>();
    c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    c.addAll(jvmOptions);
    c.add("-cp");
    c.add(System.getProperty("java.class.path"));
    c.add(ChildJvm.class.getName());
    c.add(mainClass);
    c.addAll(args);
    this.command = List.copyOf(c);
  }

  /** The running (or last) process; null before the first start. */
  Process process() {
    return process;
  }

  /** Starts the JVM; returns once it printed {@code READY}; fails if it exits first. */
  void start(long timeoutSeconds) {
    Process p;
    try {
      // stdin stays a pipe held by this JVM: its end of file tells the child that the bench is gone
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
    process = p;
    LIVE.add(p);
    CountDownLatch ready = new CountDownLatch(1);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                      new BufferedReader(
                          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                  PrintWriter out =
                      new PrintWriter(
                          Files.newBufferedWriter(
                              logFile,
                              StandardCharsets.UTF_8,
                              StandardOpenOption.CREATE,
                              StandardOpenOption.APPEND))) {
                String line;
                while ((line = r.readLine()) != null) {
                  out.println(line);
                  if (line.equals("READY")) {
                    ready.countDown();
                    out.flush();
                  }
                }
              } catch (IOException e) {
                // process gone
              }
            },
            "chaos-" + name);
    reader.setDaemon(true);
    reader.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    try {
      while (!ready.await(500, TimeUnit.MILLISECONDS)) {
        if (!p.isAlive()) {
          LIVE.remove(p);
          throw new IllegalStateException(
              name + " exited with code " + p.exitValue() + " before it was ready; see " + logFile);
        }
        if (System.nanoTime() > deadline) {
          kill();
          throw new IllegalStateException(
              name + " did not start within " + timeoutSeconds + " s; see " + logFile);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * SIGKILL: no shutdown hook, no commit, no flush; returns once the process is gone, with its exit
   * code (137 = 128 + SIGKILL; another code if it had exited before; -1 if never started or still
   * there after 30 s).
   */
  int kill() {
    Process p = process;
    if (p == null) {
      return -1;
    }
    p.destroyForcibly();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        return -1;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
    LIVE.remove(p);
    return p.exitValue();
  }

  /**
   * The child's entry point: {@code ChildJvm <main class> [args...]}. Halts the JVM when stdin
   * reaches end of file (the parent is gone), then runs the main class.
   */
  public static void main(String[] args) throws Throwable {
    if (args.length < 1) {
      System.err.println("usage: ChildJvm <main class> [args...]");
      System.exit(2);
    }
    Thread watch =
        new Thread(
            () -> {
              try {
                InputStream in = System.in;
                byte[] buf = new byte[256];
                while (in.read(buf) >= 0) {
                  // the parent never writes; keep reading until it is gone
                }
              } catch (IOException e) {
                // treat as gone
              }
              System.err.println("the chaos bench is gone: halting");
              Runtime.getRuntime().halt(3);
            },
            "parent-watch");
    watch.setDaemon(true);
    watch.start();
    try {
      Class.forName(args[0])
          .getMethod("main", String[].class)
          .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
