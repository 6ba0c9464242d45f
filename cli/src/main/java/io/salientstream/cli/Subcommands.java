package io.salientstream.cli;

import io.salientstream.core.cli.SalienceCommand;
import io.salientstream.core.cli.ScheduleCommand;
import io.salientstream.trainer.cli.CompareCommand;
import io.salientstream.trainer.cli.TrainCommand;
import picocli.CommandLine;

/** Every subcommand of the launcher, in the order {@code --help} lists them. */
final class Subcommands {

  private Subcommands() {}

  static void register(CommandLine cl) {
    cl.addSubcommand(new DemoCommand());
    cl.addSubcommand(new TrainCommand());
    cl.addSubcommand(new CompareCommand());
    cl.addSubcommand(new SalienceCommand());
    cl.addSubcommand(new ScheduleCommand());
    ServicesCli.register(cl); // local, topics, analyzer, pruner: the services launcher's commands
    cl.addSubcommand(new WatchCommand());
    cl.addSubcommand(new BenchCommand());
  }
}
