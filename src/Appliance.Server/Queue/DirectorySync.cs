using System.Runtime.InteropServices;

namespace Appliance.Server.Queue;

/// <summary>
/// fsync of a directory, which makes a rename or unlink inside it durable (the same idea as the
/// store's Appliance.Storage.Mail.DirectorySync, which is internal to Storage). .NET has no API
/// for it, so it goes to libc: open(O_RDONLY|O_DIRECTORY|O_CLOEXEC), fsync, close.
/// </summary>
internal static class DirectorySync
{
    private const int ORdOnly = 0;

    // O_DIRECTORY differs by architecture on Linux (asm-generic vs x86), and again on macOS.
    private static readonly int s_oDirectory =
        OperatingSystem.IsMacOS() ? 0x100000
        : RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000
        : 0x10000;

    private static readonly int s_oCloExec = OperatingSystem.IsMacOS() ? 0x1000000 : 0x80000;

    public static void Fsync(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return; // Windows has no directory fsync; NTFS journals metadata itself.

        int fd = open(directory, ORdOnly | s_oDirectory | s_oCloExec);
        if (fd < 0)
            throw new IOException($"open({directory}) for fsync failed: errno {Marshal.GetLastPInvokeError()}.");
        try
        {
            if (fsync(fd) != 0)
                throw new IOException($"fsync({directory}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }
        finally
        {
            _ = close(fd);
        }
    }

#pragma warning disable SYSLIB1054 // LibraryImport needs AllowUnsafeBlocks, which this project does not enable.
    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
#pragma warning restore SYSLIB1054
}
