using System.Text;

namespace Appliance.Mime.Tests;

/// <summary>Legacy charsets for building test input, independent of whether the library registered them yet.</summary>
internal static class Legacy
{
    static Legacy() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static byte[] Encode(string charset, string text) =>
        Encoding.GetEncoding(charset, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback).GetBytes(text);
}
