using System.Diagnostics;

namespace Neokernel.Hil.Plants;

/// <summary>
/// Exact discretisation of a linear system dx/dt = A·x + B·u whose inputs are held over each step
/// (zero-order hold): x[k+1] = Φ·x[k] + Γ·u[k] with Φ = e^(A·h) and Γ = ∫₀ʰ e^(A·s) ds · B, both read
/// off the exponential of the augmented matrix [[A·h, B·h], [0, 0]]. For piecewise-constant inputs
/// this is the exact solution at the sample points, and it is stable for any step, even one longer
/// than the system's fastest time constant (a motor's armature), where RK4 would diverge.
/// The exponential is computed once, at configuration, by scaling and squaring a Taylor series with
/// + − × ÷ only: Math.Exp comes from the platform's libm, whose last bit may differ between x64 and
/// arm64, and the coefficients, with every trajectory after them, would differ with it.
/// </summary>
public static class ZeroOrderHold
{
    /// <summary>Terms of the Taylor series after scaling the matrix's norm to at most one half: the remainder is below 1e-25.</summary>
    public const int TaylorOrder = 20;

    /// <summary>More halvings than this means a norm above 2^63: a step far too long for the system, refused.</summary>
    public const int SquaringsMax = 64;

    /// <summary>
    /// Computes Φ (<paramref name="states"/>², row-major) and Γ (<paramref name="states"/>×<paramref name="inputs"/>, row-major)
    /// for A (row-major), B (row-major) and step <paramref name="stepSeconds"/>.
    /// </summary>
    public static (double[] Phi, double[] Gamma) Discretise(double[] a, double[] b, int states, int inputs, double stepSeconds)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfLessThan(states, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 0);
        ArgumentOutOfRangeException.ThrowIfNotEqual(a.Length, states * states);
        ArgumentOutOfRangeException.ThrowIfNotEqual(b.Length, states * inputs);
        if (!double.IsFinite(stepSeconds) || stepSeconds <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stepSeconds), stepSeconds, "must be positive and finite");
        }

        var size = states + inputs;
        var augmented = new double[size * size];
        for (var row = 0; row < states; row++)
        {
            for (var column = 0; column < states; column++)
            {
                augmented[(row * size) + column] = a[(row * states) + column] * stepSeconds;
            }

            for (var column = 0; column < inputs; column++)
            {
                augmented[(row * size) + states + column] = b[(row * inputs) + column] * stepSeconds;
            }
        }

        var exponential = Exponential(augmented, size);
        var phi = new double[states * states];
        var gamma = new double[states * inputs];
        for (var row = 0; row < states; row++)
        {
            Array.Copy(exponential, row * size, phi, row * states, states);
            Array.Copy(exponential, (row * size) + states, gamma, row * inputs, inputs);
        }

        return (phi, gamma);
    }

    /// <summary>e^M for a square matrix (row-major) by scaling and squaring a Taylor series.</summary>
    public static double[] Exponential(double[] matrix, int size)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentOutOfRangeException.ThrowIfNotEqual(matrix.Length, size * size);
        var norm = InfinityNorm(matrix, size);
        if (!double.IsFinite(norm))
        {
            throw new ArgumentException("the matrix must be finite", nameof(matrix));
        }

        var squarings = 0;
        var scale = 1.0;
        while (norm * scale > 0.5)
        {
            scale *= 0.5;
            squarings++;
            if (squarings > SquaringsMax)
            {
                throw new ArgumentException($"the matrix's norm {norm} is too large: the step is far too long for the system", nameof(matrix));
            }
        }

        // A power of two scales exactly: the scaled matrix carries no rounding of its own.
        var scaled = new double[matrix.Length];
        for (var i = 0; i < matrix.Length; i++)
        {
            scaled[i] = matrix[i] * scale;
        }

        // Horner: I + X(I + X/2(I + X/3(… (I + X/N)))) = Σ X^k / k!.
        var result = Identity(size);
        for (var k = TaylorOrder; k >= 1; k--)
        {
            var product = Multiply(scaled, result, size);
            for (var i = 0; i < product.Length; i++)
            {
                product[i] /= k;
            }

            AddIdentity(product, size);
            result = product;
        }

        for (var i = 0; i < squarings; i++)
        {
            result = Multiply(result, result, size);
        }

        Debug.Assert(result.All(double.IsFinite), "the exponential of a finite matrix with a norm below 2^63 scaled is finite");
        return result;
    }

    private static double InfinityNorm(double[] matrix, int size)
    {
        var norm = 0.0;
        for (var row = 0; row < size; row++)
        {
            var sum = 0.0;
            for (var column = 0; column < size; column++)
            {
                sum += Math.Abs(matrix[(row * size) + column]);
            }

            norm = Math.Max(norm, sum);
        }

        return norm;
    }

    private static double[] Identity(int size)
    {
        var identity = new double[size * size];
        AddIdentity(identity, size);
        return identity;
    }

    private static void AddIdentity(double[] matrix, int size)
    {
        for (var i = 0; i < size; i++)
        {
            matrix[(i * size) + i] += 1.0;
        }
    }

    private static double[] Multiply(double[] left, double[] right, int size)
    {
        var product = new double[size * size];
        for (var row = 0; row < size; row++)
        {
            for (var column = 0; column < size; column++)
            {
                var sum = 0.0;
                for (var k = 0; k < size; k++)
                {
                    sum += left[(row * size) + k] * right[(k * size) + column];
                }

                product[(row * size) + column] = sum;
            }
        }

        return product;
    }
}
