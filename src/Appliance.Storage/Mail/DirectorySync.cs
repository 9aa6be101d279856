using System.Runtime.InteropServices;

namespace Appliance.Storage.Mail;

/// <summary>
/// fsync of a directory, which makes a rename or unlink inside it durable. .NET has no API for
/// this, so it goes to libc: open(O_RDONLY|O_DIRECTORY), fsync, close.
/// </summary>
public static class DirectorySync
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
        {
            // Windows has no directory fsync; NTFS journals metadata itself.
            return;
        }

        var fd = open(directory, ORdOnly | s_oDirectory | s_oCloExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"open({directory}) for fsync failed: errno {errno}.");
        }

        try
        {
            if (fsync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"fsync({directory}) failed: errno {errno}.");
            }
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
