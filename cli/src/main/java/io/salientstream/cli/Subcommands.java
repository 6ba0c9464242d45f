package io.salientstream.cli;

import picocli.CommandLine;

/** Every subcommand of the launcher, in the order {@code --help} lists them. */
final class Subcommands {

  private Subcommands() {}

  static void register(CommandLine cl) {
    cl.addSubcommand(new DemoCommand());
    cl.addSubcommand(new io.salientstream.trainer.cli.TrainCommand());
    cl.addSubcommand(new io.salientstream.trainer.cli.CompareCommand());
    cl.addSubcommand(new io.salientstream.core.cli.SalienceCommand());
    cl.addSubcommand(new io.salientstream.core.cli.ScheduleCommand());
    cl.addSubcommand(new LocalCommand());
    cl.addSubcommand(new TopicsCommand());
    cl.addSubcommand(new ServicesCommands.Analyzer());
    cl.addSubcommand(new ServicesCommands.PrunerCmd());
    cl.addSubcommand(new WatchCommand());
    cl.addSubcommand(new BenchCommand());
  }
}
