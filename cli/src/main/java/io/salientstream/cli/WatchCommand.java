package io.salientstream.cli;

import io.salientstream.core.cli.ExitCodes;
import io.salientstream.loop.LoopTopics;
import io.salientstream.loop.Watcher;
import io.salientstream.streams.Dependencies;
import io.salientstream.streams.LayeredConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code salientstream watch}: follow every experiment live in the terminal. */
@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    description =
        "Follow every experiment live: step, loss, total rank, last window length, commands applied, command lag.")
final class WatchCommand implements Callable<Integer> {

  @Mixin ConnectionOptions connection;

  @Option(names = "--once", description = "Read what is there, print the table once and exit.")
  boolean once;

  @Option(
      names = "--from-end",
      description = "Start at the end of the topics instead of replaying them.")
  boolean fromEnd;

  @Option(
      names = "--refresh-ms",
      defaultValue = "1000",
      description = "Redraw interval (default: ${DEFAULT-VALUE}).")
  long refreshMs;

  @Override
  public Integer call() {
    LayeredConfig cfg = connection.resolve();
    if (refreshMs < 50) {
      throw new IllegalArgumentException("--refresh-ms must be >= 50, got " + refreshMs);
    }
    LoopTopics topics = LoopTopics.forPrefix(cfg.tenant());
    Map<String, Object> config = ServicesCommands.serdeConfig(cfg);
    // one line naming what is missing (exit code 3), not an empty table
    Dependencies.requireBroker(config, Dependencies.DEFAULT_TIMEOUT);
    Dependencies.requireTopics(
        config,
        List.of(
            topics.trainerStatus(),
            topics.salienceReports(),
            topics.rankCommands(),
            topics.deadLetters()),
        cfg.tenant(),
        Dependencies.DEFAULT_TIMEOUT);
    Dependencies.requireRegistry(config, Dependencies.DEFAULT_TIMEOUT);
    try (Watcher w = new Watcher(config, topics, !fromEnd)) {
      if (once) {
        w.catchUp(Duration.ofMillis(1500));
        System.out.print(w.monitor().render());
        if (w.undecodable() > 0) {
          System.err.println(
              "watch: "
                  + w.undecodable()
                  + " record(s) could not be decoded (is the schema registry at "
                  + cfg.registryUrl()
                  + " the one the writers used?); the table is incomplete");
          return ExitCodes.FAILED;
        }
        return 0;
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println()));
      w.follow(System.out, Duration.ofMillis(refreshMs));
      return 0;
    }
  }
}
