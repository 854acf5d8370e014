using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace FastBridge.Cli.Hosting;

/// <summary>
/// <c>fastbridge run</c> on Microsoft.Extensions.Hosting: the host's lifetime turns SIGTERM and SIGINT into a clean
/// stop; under systemd (Type=notify) Microsoft.Extensions.Hosting.Systemd sends READY=1 once <see cref="SwitchService"/>
/// has started and STOPPING=1 on the way out, and logs take journald's format (priority prefix, no timestamp).
/// </summary>
internal static class SwitchHost
{
    /// <summary>Runs the switch until a stop signal; returns the process exit code.</summary>
    public static async Task<int> RunAsync(SwitchSettings settings, LogLevel level)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = Cli.Name });
        bool underSystemd = SystemdHelpers.IsSystemdService();
        bool journald = underSystemd || Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 };
        builder.Logging.SetMinimumLevel(level);
        // A start failure is reported once, as "fastbridge: why" (below), not again as the host's stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        if (journald)
        {
            builder.Logging.AddSystemdConsole(options => options.IncludeScopes = false);
            builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        }
        else
        {
            CliLogging.Configure(builder.Logging);
        }

        builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSystemd();
        if (!underSystemd && Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 })
        {
            // Started by a service manager through a wrapper (setpriv, a shell) whose process is not systemd itself:
            // NOTIFY_SOCKET is the contract of Type=notify, so honour it.
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }

        builder.Services.AddSingleton(settings);
        builder.Services.AddHostedService<SwitchService>();
        using IHost host = builder.Build();
        try
        {
            await host.StartAsync().ConfigureAwait(false);
        }
        catch (SwitchStartException e)
        {
            Console.Error.WriteLine($"{Cli.Name}: {e.Message}");
            return e.ExitCode;
        }

        await host.WaitForShutdownAsync().ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
