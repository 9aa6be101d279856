using Appliance.Web.Cli;

return await CliApplication.RunAsync(args, CliConsole.System);
