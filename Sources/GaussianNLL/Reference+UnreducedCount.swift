/// How many elements the 'none' loss of a call has under a profile (`nil` when the call is rejected).
package func unreducedCount(_ call: LossCase, profile: Profile) -> Int? {
    var none = call.with(reduction: "none")
    none.gradOutput = nil
    return Reference.evaluate(none, profile: profile).result?.loss.elementCount
}
