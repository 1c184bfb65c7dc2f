import IsolationForest

enum ModelFileFuzzTarget {
    static func run(_ input: UnsafeRawBufferPointer) {
        let model: AnomalyModel
        do {
            model = try AnomalyModel(jsonBytes: input)
        } catch {
            require(!error.description.isEmpty, "a refusal without a reason")
            return
        }
        // An accepted model must survive its own round trip: the file it writes loads again, with
        // the same id (the content hash), so a model reloaded by the agent is the model trained.
        let written = model.jsonBytes()
        let reloaded: AnomalyModel
        do {
            reloaded = try AnomalyModel(jsonBytes: written)
        } catch {
            fatalError("an accepted model writes a file it refuses: \(error)")
        }
        require(reloaded.id == model.id, "the id changed in a round trip: \(model.id) -> \(reloaded.id)")
        require(reloaded.jsonBytes() == written, "the written file is not stable")

        // Scoring cannot fail on a validated model: every tree ends in a leaf for any point.
        let point = [Double](repeating: 0, count: model.featureNames.count)
        let score = model.anomalyScore(point)
        require(score.isFinite && score > 0 && score <= 1, "score \(score) outside (0, 1]")
        let attribution = model.explain(point)
        require(attribution.anomalyScore == score, "explain() and anomalyScore() disagree")
    }
}
