return ExaiFast.Cli.ExaiFastCli.RunProcess(args);
