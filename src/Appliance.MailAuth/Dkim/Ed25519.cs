// RFC 8032 (Edwards-Curve Digital Signature Algorithm) section 5.1: Ed25519 (PureEdDSA). .NET has no
// Ed25519, and DKIM's ed25519-sha256 (RFC 8463) needs it. Written from the RFC's section 5.1 text
// and its section 6 reference code, on System.Numerics.BigInteger: correct, not fast, and not
// constant-time at the arithmetic level (BigInteger is not), but the scalar multiplication does the
// same sequence of operations for every bit of the scalar.
using System.Numerics;
using System.Security.Cryptography;

namespace Appliance.MailAuth.Dkim;

internal static class Ed25519
{
    public const int KeySize = 32;
    public const int SignatureSize = 64;

    // RFC 8032 5.1: p = 2^255 - 19, d = -121665/121666, L = 2^252 + 27742317777372353535851937790883648493.
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger D = Mod(-121665 * Inverse(121666));
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493");
    private static readonly BigInteger SqrtMinus1 = BigInteger.ModPow(2, (P - 1) / 4, P);
    private static readonly Point B = BasePoint();

    private readonly record struct Point(BigInteger X, BigInteger Y, BigInteger Z, BigInteger T);

    /// <summary>The public key of a 32-byte private key (seed): RFC 8032 5.1.5.</summary>
    public static byte[] PublicKeyFromSeed(ReadOnlySpan<byte> seed)
    {
        ExpandSeed(seed, out BigInteger a, out _);
        return Encode(Multiply(a, B));
    }

    /// <summary>RFC 8032 5.1.6: signs <paramref name="message"/> with the 32-byte private key.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> message)
    {
        ExpandSeed(seed, out BigInteger a, out byte[] prefix);
        byte[] publicKey = Encode(Multiply(a, B));
        BigInteger r = HashToScalar(prefix, [], message);                // 5.1.6 step 2
        byte[] encodedR = Encode(Multiply(r, B));                        // step 3
        BigInteger k = HashToScalar(encodedR, publicKey, message);       // step 4
        BigInteger s = Mod(r + k * a, L);                                // step 5
        byte[] signature = new byte[SignatureSize];
        encodedR.CopyTo(signature, 0);
        ToLittleEndian(s).CopyTo(signature, 32);                         // step 6
        return signature;
    }

    /// <summary>RFC 8032 5.1.7: true when <paramref name="signature"/> is valid for the message and key.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != KeySize || signature.Length != SignatureSize)
        {
            return false;
        }
        // Step 1: decode A and R, and s, which must be below L (rejects malleated signatures).
        if (!TryDecode(publicKey, out Point a) || !TryDecode(signature[..32], out Point r))
        {
            return false;
        }
        BigInteger s = new(signature[32..], isUnsigned: true, isBigEndian: false);
        if (s >= L)
        {
            return false;
        }
        BigInteger k = HashToScalar(signature[..32], publicKey, message);  // step 2
        // Step 3: [S]B = R + [k]A (the cofactorless check, as in the RFC's reference code).
        return AreEqual(Multiply(s, B), Add(r, Multiply(k, a)));
    }

    // RFC 8032 5.1.5 steps 1-3: hash the seed, prune the low half into the scalar a, keep the high half as prefix.
    private static void ExpandSeed(ReadOnlySpan<byte> seed, out BigInteger a, out byte[] prefix)
    {
        if (seed.Length != KeySize)
        {
            throw new ArgumentException("An Ed25519 private key is 32 bytes.", nameof(seed));
        }
        byte[] h = SHA512.HashData(seed);
        h[0] &= 248;
        h[31] &= 127;
        h[31] |= 64;
        a = new BigInteger(h.AsSpan(0, 32), isUnsigned: true, isBigEndian: false);
        prefix = h[32..];
    }

    private static BigInteger HashToScalar(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, ReadOnlySpan<byte> message)
    {
        using IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        hash.AppendData(first);
        hash.AppendData(second);
        hash.AppendData(message);
        return Mod(new BigInteger(hash.GetHashAndReset(), isUnsigned: true, isBigEndian: false), L);
    }

    private static BigInteger Mod(BigInteger value) => Mod(value, P);

    private static BigInteger Mod(BigInteger value, BigInteger modulus)
    {
        BigInteger r = BigInteger.Remainder(value, modulus);
        return r.Sign < 0 ? r + modulus : r;
    }

    private static BigInteger Inverse(BigInteger value) => BigInteger.ModPow(Mod(value), P - 2, P);

    // RFC 8032 5.1.4, extended homogeneous coordinates (the "add-2008-hwcd-3" formulas of the reference code).
    private static Point Add(Point p, Point q)
    {
        BigInteger a = Mod((p.Y - p.X) * (q.Y - q.X));
        BigInteger b = Mod((p.Y + p.X) * (q.Y + q.X));
        BigInteger c = Mod(2 * p.T * q.T * D);
        BigInteger d = Mod(2 * p.Z * q.Z);
        BigInteger e = b - a, f = d - c, g = d + c, h = b + a;
        return new Point(Mod(e * f), Mod(g * h), Mod(f * g), Mod(e * h));
    }

    // Double-and-add over all 256 bits, always adding and selecting, so the operation sequence does
    // not depend on the scalar's bits.
    private static Point Multiply(BigInteger scalar, Point point)
    {
        Point result = new(0, 1, 1, 0);
        Point addend = point;
        for (int i = 0; i < 256; i++)
        {
            Point sum = Add(result, addend);
            result = scalar.IsEven ? result : sum;
            addend = Add(addend, addend);
            scalar >>= 1;
        }
        return result;
    }

    private static bool AreEqual(Point p, Point q) =>
        Mod(p.X * q.Z - q.X * p.Z).IsZero && Mod(p.Y * q.Z - q.Y * p.Z).IsZero;

    // RFC 8032 5.1.2: 255-bit little-endian y with the low bit of x in the top bit.
    private static byte[] Encode(Point p)
    {
        BigInteger zInverse = Inverse(p.Z);
        BigInteger x = Mod(p.X * zInverse), y = Mod(p.Y * zInverse);
        byte[] bytes = ToLittleEndian(y);
        if (!x.IsEven)
        {
            bytes[31] |= 0x80;
        }
        return bytes;
    }

    // RFC 8032 5.1.3: decoding, with its rejections (y >= p, no square root, x = 0 with the sign bit set).
    private static bool TryDecode(ReadOnlySpan<byte> encoded, out Point point)
    {
        point = default;
        byte[] bytes = encoded.ToArray();
        bool sign = (bytes[31] & 0x80) != 0;
        bytes[31] &= 0x7F;
        BigInteger y = new(bytes, isUnsigned: true, isBigEndian: false);
        if (y >= P)
        {
            return false;
        }
        BigInteger? x = RecoverX(y, sign);
        if (x is null)
        {
            return false;
        }
        point = new Point(x.Value, y, 1, Mod(x.Value * y));
        return true;
    }

    private static BigInteger? RecoverX(BigInteger y, bool sign)
    {
        BigInteger x2 = Mod((y * y - 1) * Inverse(D * y * y + 1));
        if (x2.IsZero)
        {
            return sign ? null : BigInteger.Zero;
        }
        BigInteger x = BigInteger.ModPow(x2, (P + 3) / 8, P);
        if (!Mod(x * x - x2).IsZero)
        {
            x = Mod(x * SqrtMinus1);
        }
        if (!Mod(x * x - x2).IsZero)
        {
            return null;
        }
        if (x.IsEven == sign)
        {
            x = P - x;
        }
        return x;
    }

    private static Point BasePoint()
    {
        BigInteger y = Mod(4 * Inverse(5));
        BigInteger x = RecoverX(y, false)!.Value;
        return new Point(x, y, 1, Mod(x * y));
    }

    private static byte[] ToLittleEndian(BigInteger value)
    {
        byte[] bytes = new byte[32];
        value.TryWriteBytes(bytes, out _, isUnsigned: true, isBigEndian: false);
        return bytes;
    }
}
