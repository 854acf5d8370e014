using System.Security.Cryptography;
using FastBridge.Cli.Demo;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// A <c>fastbridge run</c> process with N TAP ports whose kernel sides sit in their own namespaces
/// (198.18.0.(i+1)/24, IPv6 off), and a unique control socket under /tmp. Everything is removed on dispose.
/// </summary>
internal sealed class RunningSwitch : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<NetworkNamespace> _namespaces = [];

    public RunningSwitch(int hosts, string extraArguments = "")
    {
        string suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        SocketPath = ControlRig.UniqueSocketPath();
        Taps = new string[hosts];
        for (int i = 0; i < hosts; i++)
        {
            Taps[i] = $"fbm{suffix}{i}";
        }

        string taps = string.Join(' ', Taps.Select(t => $"--tap {t}"));
        Process = CliProcess.Start($"run {taps} --control {SocketPath} --workers 2 {extraArguments}");
        try
        {
            Assert.True(EndToEnd.WaitFor(() => Process.Stderr.Contains("started", StringComparison.Ordinal) || Process.HasExited, Timeout),
                "fastbridge run did not start");
            Assert.False(Process.HasExited, Process.Stderr);
            for (int i = 0; i < hosts; i++)
            {
                var ns = NetworkNamespace.Create("fbm");
                _namespaces.Add(ns);
                ns.MoveIn(Taps[i]);
                ns.Exec($"sysctl -qw net.ipv6.conf.{Taps[i]}.disable_ipv6=1");
                ns.Exec($"ip addr add {SwitchedHosts.Address(i)}/24 dev {Taps[i]}");
                ns.Exec($"ip link set dev {Taps[i]} up");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public CliProcess Process { get; }

    public string SocketPath { get; }

    public string[] Taps { get; }

    public NetworkNamespace Host(int i) => _namespaces[i];

    public string Mac(int i) => Host(i).Exec($"cat /sys/class/net/{Taps[i]}/address").Trim();

    public bool Ping(int from, int to, int count = 1) =>
        Host(from).TryExec($"ping -c {count} -i 0.1 -W 2 {SwitchedHosts.Address(to)}", 30_000).ExitCode == 0;

    /// <summary>Runs <c>fastbridge ARGS --control SOCKET</c> to completion.</summary>
    public CliProcess Cli(string arguments, string? wrapper = null) =>
        CliProcess.Run($"{arguments} --control {SocketPath}", Timeout, wrapper);

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Signal("TERM");
            Process.WaitForExit(Timeout);
        }

        Process.Dispose();
        foreach (NetworkNamespace ns in _namespaces)
        {
            ns.Dispose();
        }

        File.Delete(SocketPath);
    }
}
