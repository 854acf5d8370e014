using System.Runtime.InteropServices;

namespace FastBridge.Tests.Vxlan;

/// <summary>
/// Runs code on a thread moved into a named network namespace (setns), so that the sockets it opens — a VXLAN port's —
/// live there while the bridge stays in this process. The thread ends afterwards; no other thread changes namespace.
/// </summary>
internal static partial class InNamespace
{
    private const int CloneNewNet = 0x40000000;
    private const int OpenReadOnlyCloseOnExec = 0x80000;

    public static T Run<T>(string name, Func<T> action)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                int fd = Open($"/var/run/netns/{name}", OpenReadOnlyCloseOnExec);
                if (fd < 0)
                {
                    throw new InvalidOperationException($"cannot open namespace {name}: errno {Marshal.GetLastPInvokeError()}");
                }

                int joined = SetNs(fd, CloneNewNet);
                int errno = Marshal.GetLastPInvokeError();
                Close(fd);
                if (joined != 0)
                {
                    throw new InvalidOperationException($"setns into {name} failed: errno {errno}");
                }

                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return failure is null ? result! : throw new InvalidOperationException($"in namespace {name}: {failure.Message}", failure);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int type);
}
