/// Reduces any number of readings to a fixed number of columns per device and sensor (minimum,
/// maximum and mean per column), so that a chart of a million readings stays small and still shows
/// every spike.
struct SeriesCollector: Sendable {
    let devices: Int
    let sensors: Int
    let start: Int64
    let end: Int64
    let columns: Int
    private(set) var minimum: [Double]
    private(set) var maximum: [Double]
    private var sum: [Double]
    private(set) var count: [Int32]

    init(devices: Int, sensors: Int, start: Int64, end: Int64, columns: Int = 900) {
        self.devices = devices
        self.sensors = sensors
        self.start = start
        self.end = max(end, start + 1)
        self.columns = columns
        let cells = devices * sensors * columns
        minimum = Array(repeating: .infinity, count: cells)
        maximum = Array(repeating: -.infinity, count: cells)
        sum = Array(repeating: 0, count: cells)
        count = Array(repeating: 0, count: cells)
    }

    /// The column a timestamp falls in.
    func column(of timestamp: Int64) -> Int {
        let fraction = Double(timestamp - start) / Double(end - start)
        return min(max(Int(fraction * Double(columns)), 0), columns - 1)
    }

    mutating func add(_ reading: DeviceReading) {
        guard reading.deviceIndex < devices else { return }  // beyond the devices drawn
        let column = column(of: reading.timestamp)
        for sensor in 0..<sensors {
            let value = reading.values[sensor]
            guard value.isFinite else { continue }
            let cell = (reading.deviceIndex * sensors + sensor) * columns + column
            if value < minimum[cell] { minimum[cell] = value }
            if value > maximum[cell] { maximum[cell] = value }
            sum[cell] += value
            count[cell] += 1
        }
    }

    /// Per column: nil where there was no value, else (minimum, maximum, mean).
    func series(device: Int, sensor: Int) -> [(min: Double, max: Double, mean: Double)?] {
        let base = (device * sensors + sensor) * columns
        return (0..<columns).map { column in
            let cell = base + column
            return count[cell] == 0 ? nil : (minimum[cell], maximum[cell], sum[cell] / Double(count[cell]))
        }
    }
}
