using System.Globalization;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// The 2 MiB hugepages DPDK's virtio-user frontend needs (its memory is what it shares with the vhost-user backend).
/// <see cref="Ensure"/> raises <c>vm.nr_hugepages</c> only when it is lower than asked and mounts hugetlbfs only when no
/// hugetlbfs is mounted (as ../shared/QEMU-NOTES.md and .ci/run do); <see cref="Clean"/> removes one DPDK process's
/// files by its unique <c>--file-prefix</c>, so a killed testpmd leaves nothing behind.
/// </summary>
internal static class Hugepages
{
    public const string DefaultMount = "/dev/hugepages";
    private const string RuntimeRoot = "/var/run/dpdk";
    private static readonly Lock s_lock = new();

    /// <summary>Makes sure at least <paramref name="pages"/> 2 MiB pages exist and hugetlbfs is mounted; returns the
    /// mount point, or null with the reason in <paramref name="why"/>.</summary>
    public static string? Ensure(int pages, out string why)
    {
        lock (s_lock)
        {
            why = "";
            try
            {
                const string sysctl = "/proc/sys/vm/nr_hugepages";
                if (ReadInt(sysctl) < pages)
                {
                    File.WriteAllText(sysctl, pages.ToString(CultureInfo.InvariantCulture));
                }

                if (Free() < pages / 4)
                {
                    why = $"only {Free()} free hugepages (asked for {pages}; memory too fragmented or taken by others)";
                    return null;
                }

                string? mount = MountPoint();
                if (mount is null)
                {
                    Directory.CreateDirectory(DefaultMount);
                    var mounted = System.Diagnostics.Process.Start("mount", ["-t", "hugetlbfs", "nodev", DefaultMount])!;
                    mounted.WaitForExit(10_000);
                    mount = MountPoint();
                }

                if (mount is null)
                {
                    why = "hugetlbfs is not mounted and mounting it failed";
                }

                return mount;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
            {
                why = $"hugepages cannot be set up: {e.Message}";
                return null;
            }
        }
    }

    /// <summary>Free 2 MiB pages right now.</summary>
    public static int Free()
    {
        foreach (string line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("HugePages_Free:", StringComparison.Ordinal))
            {
                return int.Parse(line["HugePages_Free:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>Where hugetlbfs is mounted (the first mount), or null.</summary>
    public static string? MountPoint()
    {
        foreach (string line in File.ReadLines("/proc/mounts"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length > 2 && fields[2] == "hugetlbfs")
            {
                return fields[1];
            }
        }

        return null;
    }

    /// <summary>Removes the hugepage files and the runtime folder of the DPDK process that used
    /// <paramref name="filePrefix"/> (call it once that process is gone).</summary>
    public static void Clean(string filePrefix)
    {
        if (string.IsNullOrEmpty(filePrefix) || filePrefix.Contains('/', StringComparison.Ordinal))
        {
            return;
        }

        string? mount = MountPoint();
        if (mount is not null)
        {
            foreach (string file in Directory.EnumerateFiles(mount, filePrefix + "map_*"))
            {
                TryDelete(() => File.Delete(file));
            }
        }

        string runtime = Path.Combine(RuntimeRoot, filePrefix);
        if (Directory.Exists(runtime))
        {
            TryDelete(() => Directory.Delete(runtime, recursive: true));
        }
    }

    private static void TryDelete(Action delete)
    {
        try
        {
            delete();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static int ReadInt(string path) => int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
}
