using Microsoft.Extensions.Logging;

namespace FastBridge.Cli;

/// <summary>Logs go to stderr, one line each with a timestamp; stdout stays for command output.</summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(LogLevel level = LogLevel.Information) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level);
        Configure(builder);
    });

    /// <summary>The one-line, timestamped, stderr console logger on <paramref name="builder"/>.</summary>
    public static void Configure(ILoggingBuilder builder)
    {
        builder.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
            options.IncludeScopes = false;
        });
        builder.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
