using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FastBridge.Cli.Demo;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Cli;

/// <summary>
/// README's blocks marked <c>```sh readme-test</c> run as written, in order, in one bash session with
/// <c>set -euo pipefail</c>: the typical setup (run in the background, wait, two namespaces, ping) and the Python
/// program that hands a TAP fd over. The only change is the names: the switch, TAP and namespace names the README
/// uses (<c>lab</c>, <c>fb1</c>, <c>fb2</c>, <c>h1</c>, <c>h2</c>, <c>vm1</c>) get a random suffix, so the test never
/// touches anything of the machine's or of another test's. A trap removes the namespaces and stops the switch.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed partial class ReadmeTests
{
    private static readonly string[] s_names = ["lab", "fb1", "fb2", "h1", "h2", "vm1"];

    [GeneratedRegex(@"^```sh readme-test\n(.*?)^```\n", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex TestedBlock();

    public static List<string> Blocks() =>
        [.. TestedBlock().Matches(File.ReadAllText(Path.Combine(Repository.Root, "README.md")).ReplaceLineEndings("\n")).Select(m => m.Groups[1].Value)];

    [Fact]
    public void The_typical_setup_and_the_fd_hand_over_are_marked_for_testing()
    {
        List<string> blocks = Blocks();
        Assert.Equal(2, blocks.Count);
        Assert.Contains("fastbridge wait --name lab", blocks[0]);
        Assert.Contains("--fd", blocks[1]);
    }

    [SkippableFact]
    public void Readme_blocks_run_as_written()
    {
        EndToEnd.RequirePrivileges();
        string suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var renamed = s_names.ToDictionary(n => n, n => $"fr{suffix}{n}");
        string script = string.Join("\n", Blocks());
        foreach ((string from, string to) in renamed)
        {
            script = Regex.Replace(script, $@"\b{Regex.Escape(from)}\b", to);
        }

        string dir = Directory.CreateTempSubdirectory("fastbridge-readme-").FullName;
        try
        {
            // `fastbridge` on PATH, as README's "export PATH=..." line makes it
            string command = Path.Combine(dir, "fastbridge");
            File.WriteAllText(command, $"#!/bin/sh\nexec \"{DotnetPath()}\" \"{CliProcess.CliDll}\" \"$@\"\n");
            File.SetUnixFileMode(command, (UnixFileMode)0b111_101_101);
            string cleanup = $"kill $(jobs -p) 2>/dev/null; wait; ip netns del {renamed["h1"]} 2>/dev/null; ip netns del {renamed["h2"]} 2>/dev/null; true";
            string file = Path.Combine(dir, "readme.sh");
            File.WriteAllText(file, $"set -euo pipefail\ntrap '{cleanup}' EXIT\n{script}");

            var psi = new ProcessStartInfo("bash", file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.Environment["PATH"] = $"{dir}:{Environment.GetEnvironmentVariable("PATH")}";
            psi.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
            using var bash = Process.Start(psi)!;
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            bash.OutputDataReceived += (_, e) => { lock (stdout) { stdout.AppendLine(e.Data); } };
            bash.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
            bash.BeginOutputReadLine();
            bash.BeginErrorReadLine();
            if (!bash.WaitForExit(TimeSpan.FromSeconds(120)))
            {
                bash.Kill(entireProcessTree: true);
                Assert.Fail($"README's blocks did not finish in 120 s\n{stdout}\n{stderr}");
            }

            bash.WaitForExit();
            string output = $"{stdout}\n{stderr}";
            Assert.True(bash.ExitCode == 0, output);
            Assert.Contains("3 received", output);                       // the ping through the switch
            Assert.Contains($"port {renamed["vm1"]} added", output);     // the fd hand-over
            Assert.Matches($@"{renamed["vm1"]}\s+2\s+tap\s+up", output); // and the port list after it
            Assert.False(Directory.Exists($"/sys/class/net/{renamed["vm1"]}"), "the handed-over TAP outlived the switch");
        }
        finally
        {
            NetworkNamespace.TryRun("ip", $"netns del {renamed["h1"]}");
            NetworkNamespace.TryRun("ip", $"netns del {renamed["h2"]}");
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string DotnetPath() =>
        Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
}
