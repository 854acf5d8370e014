using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using Microsoft.Extensions.Options;

namespace FastBridge.Cli.Configuration;

/// <summary>
/// The settings of <c>fastbridge run</c> through the standard stack: Microsoft.Extensions.Configuration reads the
/// config file (JSON) with the parsed flags on top (<see cref="CommandLineSource"/>), the binder fills
/// <see cref="RunOptions"/>, and Microsoft.Extensions.Options runs <see cref="RunOptionsValidator"/> on the result.
/// Every way this can fail is one <see cref="FormatException"/> whose message is the line the user reads.
/// </summary>
internal static class RunConfiguration
{
    /// <summary>The config file <paramref name="file"/> alone (what tests and tools read), checked as <c>run --config FILE</c> would.</summary>
    public static RunOptions Load(string file) => Load(file, new CommandLineSource(), new RunSources(file, TapsGiven: false, OtherPorts: []));

    /// <summary>
    /// The file (when <paramref name="file"/> is not null) with <paramref name="commandLine"/> over it, bound and
    /// validated; throws <see cref="FormatException"/> with a one-line reason.
    /// </summary>
    public static RunOptions Load(string? file, CommandLineSource commandLine, RunSources sources)
    {
        var builder = new ConfigurationBuilder();
        if (file is not null)
        {
            builder.AddConfiguration(LoadFile(file));
        }

        IConfigurationRoot merged = builder.Add(commandLine).Build();
        var services = new ServiceCollection();
        services.AddOptions<RunOptions>().Bind(merged);
        services.AddSingleton<IValidateOptions<RunOptions>>(new RunOptionsValidator(sources));
        using ServiceProvider provider = services.BuildServiceProvider();
        try
        {
            return provider.GetRequiredService<IOptions<RunOptions>>().Value;
        }
        catch (OptionsValidationException e)
        {
            throw new FormatException(e.Failures.First(), e);
        }
        catch (InvalidOperationException e) // the binder; ConfigFileShape lets nothing through that it would refuse
        {
            throw new FormatException($"config file '{file}' is not valid: a setting holds the wrong type of value", e);
        }
    }

    /// <summary>The file as configuration, its form checked (<see cref="ConfigFileShape"/>).</summary>
    private static IConfigurationRoot LoadFile(string file)
    {
        string full = Path.GetFullPath(file);
        if (!File.Exists(full))
        {
            throw new FormatException($"cannot read config file '{file}': {(Directory.Exists(full) ? "it is a directory" : "no such file")}");
        }

        using var directory = new PhysicalFileProvider(Path.GetDirectoryName(full)!, ExclusionFilters.None);
        Exception? failure = null;
        var source = new ConfigFileSource
        {
            FileProvider = directory,
            Path = Path.GetFileName(full),
            Optional = false,
            ReloadOnChange = false,
            OnLoadException = context =>
            {
                failure = context.Exception;
                context.Ignore = true;
            },
        };
        IConfigurationRoot root;
        try
        {
            root = new ConfigurationBuilder().Add(source).Build();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cannot read config file '{file}': {e.Message}", e);
        }

        switch (failure)
        {
            case null:
                break;
            case { InnerException: ConfigFileFormException form }:
                throw new FormatException($"config file '{file}' {form.Message}", failure);
            case FileNotFoundException:
                throw new FormatException($"cannot read config file '{file}': no such file", failure);
            default:
                throw new FormatException($"cannot read config file '{file}': {(failure.InnerException ?? failure).Message}", failure);
        }

        try
        {
            ConfigFileShape.Check(root, source.Values);
        }
        catch (ConfigFileFormException e)
        {
            throw new FormatException($"config file '{file}' {e.Message}", e);
        }

        return root;
    }
}
