package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/training"
)

// trackSeed is a demo track with what each enrolled maker has done: how many milestones are
// signed off (in order), how long ago they enrolled, and whether they stopped coming.
type trackSeed struct {
	in    training.TrackInput
	notes []string // one coordinator's note per milestone
	// progress[i] is maker i's signed-off milestones; -1 means not enrolled, -2 withdrew.
	progress []int
	// quietDays[i] > 0: maker i has not come to class nor finished a milestone for that many days.
	quietDays []int
	topics    []string
	gate      string // a catalog category this track must be completed for, if any
	outcome   string // the verified outcome of whoever completes a qualification track
}

func ms(title, desc string, hours float64, evidence bool) training.MilestoneInput {
	return training.MilestoneInput{Title: title, Description: desc, Hours: &hours, RequiresEvidence: evidence}
}

// trainingSeeds are keyed by the program's city, like the demo goods.
var trainingSeeds = map[string][]trackSeed{
	"Kolkata": {
		{
			in: training.TrackInput{Name: "Goldsmithing foundations", Qualification: "G&J/Q0603",
				Description: "Bench skills of a goldsmith – component maker, from safe use of the torch to a finished, polished component.",
				Milestones: []training.MilestoneInput{
					ms("Bench safety and tools", "Sets up the bench; uses the torch, pickle and rolling mill safely.", 12, false),
					ms("Sawing, filing and drilling", "Pierces and files sheet to a drawn line within half a millimetre.", 20, false),
					ms("Soldering a chain", "Ten even, closed jump-ring joints with no pits; photo of the chain.", 24, true),
					ms("Bezel stone setting", "Sets a cabochon in a hand-made bezel, straight and tight.", 30, false),
					ms("Finishing and polishing", "Brings a piece to a saleable finish and checks it against the order sheet.", 16, false),
				}},
			notes: []string{"Careful and calm at the bench; remembers every safety step.",
				"Straight cuts; practise filing the inside curves.", "Even joints, one small pit fixed on the second try.",
				"Bezel is tight; took two attempts to get the stone level.", "Finish is ready for sale."},
			progress:  []int{5, 3, 2, 1, 2, -1},
			quietDays: []int{0, 0, 0, 45, 0, 0},
			outcome:   "Bench job at a partner workshop; offer letter seen.",
			topics:    []string{"Piercing saw practice", "Filing to a line", "Annealing and pickling", "Soldering jump rings", "Making a bezel", "Setting practice", "Polishing wheel", "Quality check against an order"},
		},
		{
			in: training.TrackInput{Name: "Hallmarking and gold purity",
				Description: "What BIS hallmarks mean, purity grades, and how to keep gold work records before selling gold jewellery.",
				Milestones: []training.MilestoneInput{
					ms("Purity grades and hallmarks", "Explains 22K, 18K and 14K and reads a BIS hallmark.", 4, false),
					ms("Keeping the gold register", "Records issue and return of gold to the gram.", 4, false),
				}},
			notes:     []string{"Reads a hallmark without help.", "Register balanced to the gram."},
			progress:  []int{2, 1, -1, -1, -1, -1},
			quietDays: []int{0, 0, 0, 0, 0, 0},
			topics:    []string{"Hallmark reading"},
			gate:      "gold jewellery",
		},
	},
	"Mumbai": {
		{
			in: training.TrackInput{Name: "Garment stitching basics", Qualification: "AMH/Q0301",
				Description: "Sewing machine operation for ready-made garments: safe machine use, seams, and a finished kurta.",
				Milestones: []training.MilestoneInput{
					ms("Machine safety and threading", "Threads and oils the machine; winds a bobbin; knows the safety rules.", 10, false),
					ms("Straight and curved seams", "Sews straight and curved seams at an even 1 cm allowance.", 18, false),
					ms("Hems, darts and pleats", "Finishes hems and sews darts and pleats to a pattern.", 20, false),
					ms("Fitting a collar and placket", "Attaches a collar and placket that lie flat; photo of the piece.", 24, true),
					ms("A finished kurta to order", "Cuts and stitches a kurta to measurements, ready to sell.", 30, false),
				}},
			notes: []string{"Threads the machine confidently.", "Seams are even; slow down on curves.",
				"Neat hems; darts need pressing.", "Collar lies flat.", "Kurta fits the measurements; ready to sell."},
			progress:  []int{5, 3, 2, 1, -2, -1},
			outcome:   "Tailor at a partner garment unit; offer letter seen.",
			quietDays: []int{0, 0, 0, 0, 0, 0},
			topics:    []string{"Threading and bobbins", "Straight seams", "Curved seams", "Hems", "Darts and pleats", "Collars", "Plackets", "Cutting to measurements"},
		},
	},
}

// seedTraining adds a realistic training picture to each demo program through the training
// service, acting as the program's coordinator: tracks, enrolments months ago, weekly classes,
// sign-offs with notes (one with a photo of the work), a withdrawal, someone who needs attention,
// a completed qualification track with a certificate and a verified outcome in each workshop,
// and a selling gate.
func seedTraining(ctx context.Context, a *app.App) error {
	ps, err := a.Programs.Registry().Programs(ctx, nil)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	day := func(daysAgo int) string { return now.AddDate(0, 0, -daysAgo).Format(time.DateOnly) }
	for _, s := range seeds {
		p, ok := programNamed(ps, s.in.Name)
		if !ok {
			return fmt.Errorf("demo program %s is missing", s.in.Name)
		}
		coord, err := a.Accounts.UserByLogin(ctx, s.coordinator.Email)
		if err != nil {
			return fmt.Errorf("demo coordinator %s: %w", s.coordinator.Email, err)
		}
		actor := accounts.ActorOf(coord, "seed")
		makerIDs := make([]string, 0, len(s.makers))
		for _, m := range s.makers {
			u, err := a.Accounts.UserByLogin(ctx, m.login)
			if err != nil {
				return fmt.Errorf("demo maker %s: %w", m.login, err)
			}
			makerIDs = append(makerIDs, u.MakerID)
		}
		for _, ts := range trainingSeeds[p.City] {
			if err := seedTrack(ctx, a, actor, p, ts, makerIDs, day); err != nil {
				return fmt.Errorf("track %s: %w", ts.in.Name, err)
			}
		}
	}
	return nil
}

func programNamed(ps []programs.Program, name string) (programs.Program, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p, true
		}
	}
	return programs.Program{}, false
}

func seedTrack(ctx context.Context, a *app.App, actor accounts.Actor, p programs.Program, ts trackSeed, makerIDs []string, day func(int) string) error {
	t, err := a.Training.CreateTrack(ctx, actor, p.ID, ts.in)
	if err != nil {
		return err
	}
	const enrolledDaysAgo = 120
	enrolments := map[int]string{}
	for i, done := range ts.progress {
		if done == -1 || i >= len(makerIDs) {
			continue
		}
		e, err := a.Training.Enroll(ctx, actor, t.ID, training.EnrollInput{MakerID: makerIDs[i], EnrolledOn: day(enrolledDaysAgo - i*5)})
		if err != nil {
			return err
		}
		enrolments[i] = e.ID
	}
	for i, eid := range enrolments {
		done := ts.progress[i]
		if done == -2 {
			done = 1
		}
		// Sign-offs are spread from ten days after enrolment to the maker's last activity; the
		// one who finished did so three months ago.
		start := enrolledDaysAgo - i*5 - 10
		step := (start - 5 - ts.quietDays[i]) / len(ts.in.Milestones)
		for k := 0; k < done; k++ {
			daysAgo := start - k*step
			if done == len(ts.in.Milestones) {
				daysAgo = 95 + (len(ts.in.Milestones)-1-k)*5
			}
			in := training.SignOffInput{CompletedOn: day(daysAgo), Notes: ts.notes[k]}
			var photo io.Reader
			if ts.in.Milestones[k].RequiresEvidence {
				photo = bytes.NewReader(demoWorkPhoto(i + k))
			}
			if _, err := a.Training.SignOff(ctx, actor, eid, t.MilestoneIDs[k], in, photo); err != nil {
				return fmt.Errorf("sign-off: %w", err)
			}
		}
		if ts.progress[i] == -2 {
			if _, err := a.Training.Withdraw(ctx, actor, eid, training.WithdrawInput{Date: day(60), Reason: "Moved to her family's village; welcome back any time."}); err != nil {
				return err
			}
		}
		if done == len(ts.in.Milestones) && ts.in.Qualification != "" {
			if _, err := a.Training.RecordOutcome(ctx, actor, makerIDs[i], training.OutcomeInput{Date: day(3), Status: training.OutcomeEmployed,
				MonthlyIncome: ptr(int64(1450000)), Notes: ts.outcome, Verification: training.VerifyDocument}); err != nil {
				return err
			}
		}
	}
	// Weekly classes over the last weeks; the quiet ones stopped coming.
	for w, topic := range ts.topics {
		daysAgo := 7 * (len(ts.topics) - w)
		var present []string
		for i := range enrolments {
			if ts.progress[i] == -2 && daysAgo < 60 { // withdrew two months ago
				continue
			}
			if ts.progress[i] == len(ts.in.Milestones) && daysAgo < 95 { // finished three months ago
				continue
			}
			if ts.quietDays[i] > 0 && daysAgo < ts.quietDays[i] {
				continue
			}
			if (w+i)%5 == 4 { // nobody comes every week
				continue
			}
			present = append(present, makerIDs[i])
		}
		if _, err := a.Training.RecordSession(ctx, actor, t.ID, training.SessionInput{Date: day(daysAgo), Topic: topic, Present: present}); err != nil {
			return err
		}
	}
	if ts.gate != "" {
		if _, err := a.Training.SetGates(ctx, actor, p.ID, training.GatesInput{Gates: []training.GateInput{{Category: ts.gate, TrackID: t.ID}}}); err != nil {
			return err
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// demoWorkPhoto draws a small picture standing in for a photo of the work (a gold-coloured
// chain of rings), so the demo shows evidence without shipping image files.
func demoWorkPhoto(seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 480, 320))
	for y := 0; y < 320; y++ {
		for x := 0; x < 480; x++ {
			img.Set(x, y, color.RGBA{40, 44, 52, 255})
		}
	}
	gold := color.RGBA{212, 175, 55, 255}
	for r := 0; r < 7; r++ {
		cx, cy := 60+r*60, 160+((r+seed)%2)*12
		for a := 0; a < 360; a++ {
			for th := 0; th < 5; th++ {
				rad, ang := float64(26+th), float64(a)*math.Pi/180
				x := cx + int(rad*math.Cos(ang))
				y := cy + int(rad*math.Sin(ang))
				img.Set(x, y, gold)
			}
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	return buf.Bytes()
}
